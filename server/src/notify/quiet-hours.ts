/** Minutes since local midnight in an IANA time zone. */
function localMinutes(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return get('hour') * 60 + get('minute');
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * When the contact's quiet hours (local wall-clock start and end, possibly spanning midnight)
 * end, if `at` falls within them; null if it does not. A DST change inside the window can move
 * the end by the hour changed; the message is then sent an hour early or late, never lost.
 */
export function quietHoursEnd(
  at: Date,
  timeZone: string,
  quiet: { start: string; end: string } | null,
): Date | null {
  if (!quiet) return null;
  const start = toMinutes(quiet.start);
  const end = toMinutes(quiet.end);
  if (start === end) return null;
  const now = localMinutes(at, timeZone);
  const inside = start < end ? now >= start && now < end : now >= start || now < end;
  if (!inside) return null;
  const minutesLeft = (end - now + 1440) % 1440;
  const endAt = new Date(at.getTime() + minutesLeft * 60_000);
  endAt.setUTCSeconds(0, 0);
  return endAt;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone });
    return true;
  } catch {
    return false;
  }
}
