import type { ReactNode } from 'react';

interface Props {
  testId: string;
  /** Column headings; null is a column of buttons, named for screen readers only. */
  columns: readonly (string | null)[];
  /** Wide tables scroll in a focusable region labelled by this heading id, or by `label`. */
  labelledBy?: string;
  label?: string;
  caption?: string;
  /** The rows. */
  children: ReactNode;
}

/** A data table with column headings, in a scrollable region where it is labelled. */
export function DataTable({ testId, columns, labelledBy, label, caption, children }: Props) {
  const table = (
    <table className="data-table" data-testid={testId}>
      {caption && <caption className="visually-hidden">{caption}</caption>}
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c ?? 'actions'} scope="col">
              {c ?? <span className="visually-hidden">Actions</span>}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
  if (!labelledBy && !label) return table;
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-labelledby={labelledBy} aria-label={label}>
      {table}
    </div>
  );
}
