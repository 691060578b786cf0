import { describe, expect, it } from 'vitest';
import { DAY, formatAgo, HOUR, MINUTE } from './time.js';

describe('formatAgo', () => {
  const now = Date.parse('2025-03-04T12:00:00Z');
  it.each([
    [0, 'just now'],
    [59_000, 'just now'],
    [-30_000, 'just now'],
    [4 * MINUTE, '4 min ago'],
    [59 * MINUTE, '59 min ago'],
    [2 * HOUR + 5 * MINUTE, '2 h ago'],
    [DAY, '1 day ago'],
    [3 * DAY, '3 days ago'],
  ])('%i ms -> %s', (elapsed, text) => {
    expect(formatAgo(now - elapsed, now)).toBe(text);
  });
});
