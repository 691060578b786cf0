interface Props {
  /** The ward's bed count (from the ward list): as many places as cards to come. */
  beds: number;
  /** Why the beds are not there yet, when it is not just loading. */
  errorMessage: string | null;
}

/** Cards beyond this are below any screen while loading; the page grows when they arrive. */
const MAX_PLACES = 24;

/**
 * The ward's shape while its beds, alerts and scores load: the alert banner and bed cards as
 * empty places of the same size, so the page does not move when they are filled in.
 */
export function WardSkeleton({ beds, errorMessage }: Props) {
  return (
    <div className="ward-skeleton" data-testid="ward-loading">
      <p role="status" className={errorMessage ? 'notice' : 'visually-hidden'}>
        {errorMessage ? `Beds could not be loaded. ${errorMessage} Retrying…` : 'Loading beds…'}
      </p>
      <div className="alert-banner alert-banner--none skeleton" aria-hidden="true">
        <div className="alert-banner__head">
          <span className="alert-banner__title">&nbsp;</span>
        </div>
      </div>
      <ul className="ward-grid" aria-hidden="true">
        {Array.from({ length: Math.min(beds, MAX_PLACES) }, (_, i) => (
          <li key={i} className="ward-grid__item">
            <div className="bed-card skeleton" />
          </li>
        ))}
      </ul>
    </div>
  );
}
