import { useState } from 'react';

/**
 * True from the first render where `now` is true, for good: a screen laid out once its first data
 * is in stays laid out while a later fetch retries (it is not swapped back to its loading places).
 */
export function useSettled(now: boolean): boolean {
  const [settled, setSettled] = useState(now);
  if (now && !settled) setSettled(true);
  return settled || now;
}
