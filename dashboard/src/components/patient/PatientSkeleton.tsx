/**
 * The resident's page while their readings, score, alerts and history load: empty panels where
 * the first ones will be, replaced all at once when everything has arrived.
 */
export function PatientSkeleton() {
  return (
    <div data-testid="patient-loading">
      <p role="status" className="visually-hidden">
        Loading the resident’s readings…
      </p>
      <div className="patient-layout" aria-hidden="true">
        <div className="panel skeleton skeleton--panel" />
        <div className="panel skeleton skeleton--panel" />
      </div>
    </div>
  );
}
