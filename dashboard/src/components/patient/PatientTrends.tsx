import type { HistoryEntry } from '../../hooks/usePatientHistory.js';

interface Props {
  /** The same live, newest-first history the table shows; null while loading. */
  entries: HistoryEntry[] | null;
}

/**
 * The place for trend charts (blood pressure, pulse, SpO₂, temperature over the last days, with
 * NEWS2 bands). They arrive with the time-series history API; until then this says so rather than
 * drawing charts from a table fetch that is capped and unaggregated.
 */
export function PatientTrends({ entries }: Props) {
  return (
    <section className="panel panel--placeholder" aria-labelledby="trends-title" data-testid="patient-trends">
      <h2 id="trends-title" className="panel__title">
        Trends
      </h2>
      <p>
        Charts of blood pressure, pulse, oxygen saturation and temperature will appear here.
        {entries !== null && entries.length > 0 && ' Until then, the readings are listed below.'}
      </p>
    </section>
  );
}
