import { CsvError, parse } from 'csv-parse/sync';
import { COMMENT, IMPORT_COLUMNS, REQUIRED_COLUMNS, type ImportColumn } from './template.js';

export interface RowError {
  row: number;
  column: string | null;
  message: string;
}

export interface ParsedRow {
  /** The line of the file the row starts on (as a spreadsheet numbers it: the header is 1). */
  row: number;
  cells: Record<ImportColumn, string>;
}

export type Parsed = { rows: ParsedRow[]; errors: RowError[] };

/**
 * Reads the file with csv-parse (RFC 4180: quoted fields with commas, quotes and line breaks; CRLF
 * or LF; a UTF-8 byte order mark as spreadsheets write it; # comment lines). Unknown or missing
 * columns and rows with more cells than the header are errors; empty lines are skipped.
 */
export function parseImport(text: string): Parsed {
  const bytes = Buffer.from(text);
  let records: { record: string[]; info: { lines: number; bytes: number } }[];
  try {
    records = parse(bytes, {
      bom: true,
      comment: COMMENT,
      comment_no_infix: true,
      relax_column_count: true,
      // `Room "A"` typed by hand, unquoted: kept as written rather than refusing the whole file.
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      trim: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number; bytes: number } }[];
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    const line = (err as CsvError & { lines?: number }).lines ?? 0;
    return {
      rows: [],
      errors: [{ row: line, column: null, message: `not readable as CSV: ${err.message}` }],
    };
  }
  const [first, ...data] = records;
  if (!first) return { rows: [], errors: [{ row: 1, column: null, message: 'the file is empty' }] };

  const lines = lineCounter(bytes);
  const headerRow = rowStart(lines(first.info.bytes), first.record);
  const header = first.record.map((name) => name.toLowerCase());
  const errors: RowError[] = [];
  const known = new Set<string>(IMPORT_COLUMNS);
  header.forEach((name, i) => {
    if (!known.has(name))
      errors.push({
        row: headerRow,
        column: name || `column ${i + 1}`,
        message: `unknown column: the columns are ${IMPORT_COLUMNS.join(', ')}`,
      });
    else if (header.indexOf(name) !== i)
      errors.push({ row: headerRow, column: name, message: 'the column appears twice' });
  });
  for (const required of REQUIRED_COLUMNS)
    if (!header.includes(required))
      errors.push({ row: headerRow, column: required, message: 'this column is missing from the header' });
  if (errors.length > 0) return { rows: [], errors };

  const rows = data.map(({ record, info }): ParsedRow => {
    const row = rowStart(lines(info.bytes), record);
    if (record.length > header.length && record.slice(header.length).some((cell) => cell !== ''))
      errors.push({ row, column: null, message: `more cells than the header's ${header.length} columns` });
    const cells = Object.fromEntries(IMPORT_COLUMNS.map((c) => [c, ''])) as Record<ImportColumn, string>;
    header.forEach((name, i) => {
      cells[name as ImportColumn] = record[i] ?? '';
    });
    return { row, cells };
  });
  return { rows, errors };
}

/**
 * The line a record ends on, from the offset csv-parse gives just past it (its own line count
 * goes astray on CRLF inside quoted fields). Offsets must come in increasing order.
 */
function lineCounter(bytes: Buffer): (end: number) => number {
  let position = 0;
  let line = 1;
  return (end) => {
    let stop = end;
    if (bytes[stop - 1] === 0x0a) stop--;
    if (bytes[stop - 1] === 0x0d) stop--;
    for (; position < stop; position++) {
      const byte = bytes[position];
      if (byte === 0x0a || (byte === 0x0d && bytes[position + 1] !== 0x0a)) line++;
    }
    return line;
  };
}

/** Back from the line a record ends on to the line it starts on. */
function rowStart(lastLine: number, record: string[]): number {
  const breaks = record.reduce((n, cell) => n + (cell.match(/\r\n|\r|\n/g)?.length ?? 0), 0);
  return lastLine - breaks;
}
