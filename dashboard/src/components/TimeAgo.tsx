import { formatAbsolute, formatAgo } from '../lib/time.js';

interface Props {
  at: number;
  now: number;
  className?: string;
}

/** "4 min ago", with the exact time in the element (and as a tooltip). */
export function TimeAgo({ at, now, className }: Props) {
  return (
    <time className={className} dateTime={new Date(at).toISOString()} title={formatAbsolute(at)}>
      {formatAgo(at, now)}
    </time>
  );
}
