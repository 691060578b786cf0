import type { BpReport } from '@wardline/protocol';
import { useEffect, useMemo, useState } from 'react';
import { useResource } from '../../../hooks/useResource.js';
import { bpReportCsvUrl, getBpReport } from './api.js';
import { BpChart } from './BpChart.js';
import { TreatedControl } from './TreatedControl.js';
import { mmHg, shareText, stageText } from './format.js';

const DAY_MS = 86_400_000;
const PERIODS = [7, 14, 28] as const;

/**
 * The NICE NG136 home-monitoring report: series status, home average and stage, the target and
 * the share of readings at target for a treated resident, the session means charted. Printable
 * on its own (the rest of the page is hidden in print) and exported as CSV.
 */
export function BpReportPanel({
  patientId,
  patientName,
  refreshKey,
}: {
  patientId: string;
  patientName: string;
  refreshKey: number;
}) {
  const [days, setDays] = useState<(typeof PERIODS)[number]>(14);
  // The period ends at the start of the next minute, so one refresh key asks one question.
  const { from, to } = useMemo(() => {
    const end = new Date(Math.ceil(Date.now() / 60_000) * 60_000);
    return { from: new Date(end.getTime() - days * DAY_MS), to: end };
  }, [days, refreshKey]);
  const [report, reload] = useResource(
    (signal) => getBpReport(patientId, from, to, signal),
    [patientId, from, to],
  );

  useEffect(() => {
    const done = () => document.body.classList.remove('print-bp-report');
    window.addEventListener('afterprint', done);
    return () => {
      window.removeEventListener('afterprint', done);
      done();
    };
  }, []);
  const print = () => {
    document.body.classList.add('print-bp-report');
    window.print();
  };

  const r = report.data;
  return (
    <section className="panel bp-report" aria-labelledby="bp-report-title" data-testid="bp-report">
      <h2 id="bp-report-title" className="panel__title">
        Blood pressure: home monitoring (NICE NG136)
      </h2>
      <div className="bp-report__actions no-print" role="group" aria-label="Report period">
        {PERIODS.map((d) => (
          <button
            key={d}
            type="button"
            className="button button--small button--secondary"
            aria-pressed={d === days}
            onClick={() => setDays(d)}
          >
            {d} days
          </button>
        ))}
        <button type="button" className="button button--small" onClick={print} data-testid="bp-print">
          Print report
        </button>
        <a href={bpReportCsvUrl(patientId, from, to)} download data-testid="bp-csv">
          Download CSV
        </a>
      </div>
      {!r ? (
        <p role="status">{report.status === 'failed' ? `Not available: ${report.message}` : 'Loading…'}</p>
      ) : (
        <>
          <p className="print-only" data-testid="bp-print-header">
            {patientName}
            {r.ageYears !== null ? `, aged ${r.ageYears}` : ''} · printed{' '}
            {new Date().toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })}
          </p>
          <ReportBody report={r} onTreatedChanged={reload} />
        </>
      )}
    </section>
  );
}

function ReportBody({ report, onTreatedChanged }: { report: BpReport; onTreatedChanged: () => void }) {
  const share = shareText(report);
  const day = (iso: string) =>
    new Date(iso).toLocaleDateString('en-GB', {
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      timeZone: 'Europe/London',
    });
  return (
    <>
      <p className="data-table__sub">
        {day(report.from)} to {day(report.to)} · sessions in UK time (morning 04:00-12:00, evening
        12:00-24:00)
      </p>
      <dl>
        <dt>Series</dt>
        <dd data-testid="bp-series">
          {report.series.status === 'complete'
            ? `Complete: ${report.series.days.length} days from ${report.series.days[0]}, day one left out`
            : 'Incomplete'}
        </dd>
        <dt>Home average</dt>
        <dd data-testid="bp-average">
          {report.homeAverage
            ? `${mmHg(report.homeAverage)} (${report.homeAverage.readings} readings)`
            : 'None yet'}
        </dd>
        <dt>Stage</dt>
        <dd data-testid="bp-stage">{stageText(report)}</dd>
        <dt>Treated</dt>
        <dd data-testid="bp-treated">
          <TreatedControl
            patientId={report.patientId}
            treated={report.treated}
            onChanged={onTreatedChanged}
          />
        </dd>
        {report.target && (
          <>
            <dt>Target</dt>
            <dd data-testid="bp-target">
              Below {report.target.systolic}/{report.target.diastolic} mmHg ({report.target.basis})
            </dd>
            <dt>At target</dt>
            <dd data-testid="bp-share">{share}</dd>
          </>
        )}
        {report.severeReadings > 0 && (
          <>
            <dt>Severe readings</dt>
            <dd>{report.severeReadings} at 180/120 or above: see the alerts</dd>
          </>
        )}
        {report.unreliableReadings > 0 && (
          <>
            <dt>Left out</dt>
            <dd>{report.unreliableReadings} readings flagged unreliable by the cuff</dd>
          </>
        )}
      </dl>
      {report.series.missing.length > 0 && (
        <div data-testid="bp-missing">
          <p>What the series still needs:</p>
          <ul>
            {report.series.missing.map((m) => (
              <li key={m}>{m}</li>
            ))}
          </ul>
        </div>
      )}
      <BpChart report={report} />
    </>
  );
}
