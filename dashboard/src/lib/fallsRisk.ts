import type { BedFallsRisk } from '@wardline/protocol';
import { parseTime } from './time.js';

const testDate = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });

export interface FallsRiskBadge {
  label: string;
  /** The test's date and what it found, for the title and for screen readers. */
  detail: string;
}

/**
 * The bed card's falls-risk badge from the resident's latest postural test; null when there is no
 * flag (never tested, or the latest test was negative: the flag follows the latest test).
 */
export function fallsRiskBadge(risk: BedFallsRisk | null | undefined): FallsRiskBadge | null {
  if (!risk?.atRiskOfFalls) return null;
  const at = parseTime(risk.testedAt);
  const when = at === null ? 'an unknown date' : testDate.format(at);
  const found = risk.findings.length > 0 ? risk.findings.join('; ') : 'postural hypotension';
  return { label: 'Falls risk: postural drop', detail: `Lying-then-standing test on ${when}: ${found}` };
}
