import { describe, expect, it } from 'vitest';
import { isValidTimeZone, quietHoursEnd } from './quiet-hours.js';

const night = { start: '22:00', end: '07:00' };

describe('quiet hours in the contact’s own time zone', () => {
  it('holds a message sent at 23:30 London time until 07:00 London time', () => {
    // 23:30 UTC in November is 23:30 in London.
    expect(quietHoursEnd(new Date('2026-11-21T23:30:00Z'), 'Europe/London', night)?.toISOString()).toBe(
      '2026-11-22T07:00:00.000Z',
    );
  });

  it('uses the contact’s zone, not the server’s: 23:30 UTC is 10:30 in Sydney, not quiet', () => {
    expect(quietHoursEnd(new Date('2026-11-21T23:30:00Z'), 'Australia/Sydney', night)).toBeNull();
    // 13:00 UTC is 00:00 in Sydney (UTC+11 in November): quiet until 07:00 there, 20:00 UTC.
    expect(quietHoursEnd(new Date('2026-11-21T13:00:00Z'), 'Australia/Sydney', night)?.toISOString()).toBe(
      '2026-11-21T20:00:00.000Z',
    );
  });

  it('treats the start as quiet and the end as not', () => {
    expect(quietHoursEnd(new Date('2026-11-21T22:00:00Z'), 'Europe/London', night)).not.toBeNull();
    expect(quietHoursEnd(new Date('2026-11-22T07:00:00Z'), 'Europe/London', night)).toBeNull();
    expect(
      quietHoursEnd(new Date('2026-11-21T14:00:00Z'), 'Europe/London', {
        start: '13:00',
        end: '15:00',
      })?.toISOString(),
    ).toBe('2026-11-21T15:00:00.000Z');
  });

  it('has none without quiet hours, and validates zones', () => {
    expect(quietHoursEnd(new Date(), 'Europe/London', null)).toBeNull();
    expect(isValidTimeZone('Europe/London')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
  });
});
