import type { ImportResult } from '@wardline/protocol';
import { useRef, useState } from 'react';
import { IMPORT_TEMPLATE_URL, importCsv } from '../../api/organisation.js';
import { DataTable } from './DataTable.js';
import { ErrorSummary } from './ErrorSummary.js';
import { Page, useForm } from './forms.js';

const MAX_BYTES = 5 * 1024 * 1024;

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** What a file creates, in words: "1 ward, 4 beds, 3 patients and 5 devices". */
function creates(r: ImportResult): string {
  const { wards, beds, patients, devices } = r.created;
  return `${count(wards, 'ward')}, ${count(beds, 'bed')}, ${count(patients, 'patient')} and ${count(devices, 'device')}`;
}

/**
 * /admin/import — a care home's residents, beds and devices from a CSV file. The file is checked
 * first (nothing stored); importing is offered only once every row passes, and even then the
 * server stores all rows or none.
 */
export function ImportScreen() {
  const [csv, setCsv] = useState<{ name: string; text: string } | null>(null);
  const [checked, setChecked] = useState<ImportResult | null>(null);
  const [done, setDone] = useState<ImportResult | null>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const form = useForm<'file'>();

  const check = () =>
    void form.run(
      () => (csv ? {} : { file: 'Choose a CSV file' }),
      async () => {
        setDone(null);
        setChecked(await importCsv(csv!.text, true));
      },
    );

  const store = () =>
    void form.run(
      () => ({}),
      async () => {
        const result = await importCsv(csv!.text, false);
        setChecked(result.imported ? null : result);
        setDone(result.imported ? result : null);
        if (result.imported) {
          setCsv(null);
          if (fileRef.current) fileRef.current.value = '';
        }
      },
    );

  const passed = checked && checked.errors.length === 0 && checked.rows > 0;
  return (
    <Page
      title="Import"
      adminRoute={{ name: 'import' }}
      lead="Add a care home’s wards, beds, residents and devices from a spreadsheet saved as CSV."
      message={done ? `Imported ${count(done.rows, 'row')}: ${creates(done)}.` : null}
      testId="import-screen"
    >
      <section className="panel" aria-labelledby="import-title">
        <h2 id="import-title" className="panel__title">
          Import a file
        </h2>
        <ol>
          <li>
            <a
              href={IMPORT_TEMPLATE_URL}
              download="wardline-import-template.csv"
              data-testid="import-template"
            >
              Download the template (CSV)
            </a>{' '}
            and fill in one row per bed.
          </li>
          <li>Choose the file and check it. Nothing is stored while checking.</li>
          <li>When every row passes, import it. Either every row is imported or none is.</li>
        </ol>
        <ErrorSummary
          items={form.items('import')}
          code={form.apiError?.code}
          testId="import-error"
          attempt={form.attempt}
        />
        <div className={form.errors.file ? 'field field--error' : 'field'}>
          <label htmlFor="import-file">CSV file</label>
          {form.errors.file && (
            <p className="field__error" id="import-file-error">
              <span className="visually-hidden">Error:</span> {form.errors.file}
            </p>
          )}
          <input
            id="import-file"
            ref={fileRef}
            type="file"
            accept=".csv,text/csv"
            aria-describedby={form.errors.file ? 'import-file-error' : undefined}
            onChange={async (e) => {
              const file = e.target.files?.[0];
              setChecked(null);
              setDone(null);
              if (!file) return setCsv(null);
              if (file.size > MAX_BYTES) {
                form.setApiError({
                  message: 'The file is larger than 5 MB. Split it into smaller files.',
                  code: null,
                });
                return setCsv(null);
              }
              setCsv({ name: file.name, text: await file.text() });
            }}
            data-testid="import-file"
          />
        </div>
        <button
          type="button"
          className="button button--secondary"
          onClick={check}
          disabled={form.busy}
          data-testid="import-check"
        >
          {form.busy && !passed ? 'Checking…' : 'Check the file'}
        </button>{' '}
        {passed && (
          <button
            type="button"
            className="button"
            onClick={store}
            disabled={form.busy}
            data-testid="import-submit"
          >
            {form.busy ? 'Importing…' : `Import ${count(checked.rows, 'row')}`}
          </button>
        )}
      </section>
      {checked && <ImportVerdict result={checked} />}
    </Page>
  );
}

function ImportVerdict({ result }: { result: ImportResult }) {
  if (result.errors.length === 0 && result.rows === 0)
    return (
      <section className="panel" aria-labelledby="verdict-title" data-testid="import-verdict">
        <h2 id="verdict-title" className="panel__title">
          The file has no rows to import
        </h2>
        <p>
          Add a row per bed under the header (lines starting with # are ignored), save it as CSV and check it
          again.
        </p>
      </section>
    );
  if (result.errors.length === 0)
    return (
      <section className="panel" aria-labelledby="verdict-title" data-testid="import-verdict">
        <h2 id="verdict-title" className="panel__title">
          Every row passed
        </h2>
        <p>
          {count(result.rows, 'row')} would create {creates(result)}.
        </p>
      </section>
    );
  return (
    <section className="panel" aria-labelledby="verdict-title" data-testid="import-verdict">
      <h2 id="verdict-title" className="panel__title">
        {result.errors.length} {result.errors.length === 1 ? 'problem' : 'problems'} found: nothing was
        imported
      </h2>
      <p>Correct these rows in the spreadsheet, save it as CSV again and check it.</p>
      <DataTable testId="import-errors" labelledBy="verdict-title" columns={['Row', 'Column', 'Problem']}>
        {result.errors.map((e, i) => (
          <tr key={i}>
            <th scope="row">{e.row}</th>
            <td>{e.column ?? '—'}</td>
            <td>{e.message}</td>
          </tr>
        ))}
      </DataTable>
    </section>
  );
}
