import { describe, expect, it } from 'vitest';
import { openDatabase } from '../db/database.js';
import { ADDRESS_POLICY, USER_POLICY, createSignInThrottle, lockDuration } from './sign-in-throttle.js';

function throttleWithClock(start = Date.parse('2026-11-20T10:00:00Z')) {
  const clock = { now: start };
  const throttle = createSignInThrottle(openDatabase(':memory:'), { now: () => clock.now });
  return { throttle, clock };
}

describe('sign-in throttle', () => {
  it('locks a user name after five failures, for doubling periods up to an hour', () => {
    expect([4, 5, 6, 7, 20].map((n) => lockDuration(USER_POLICY, n))).toEqual([
      null,
      60_000,
      120_000,
      240_000,
      3_600_000,
    ]);
    const { throttle, clock } = throttleWithClock();
    for (let i = 0; i < 5; i++) expect(throttle.admit('nurse', `10.0.0.${i}`).admitted).toBe(true);
    expect(throttle.admit('nurse', '10.0.0.99')).toEqual({
      admitted: false,
      kind: 'user',
      retryAfterMs: 60_000,
    });
    clock.now += 60_001;
    expect(throttle.admit('nurse', '10.0.0.99').admitted).toBe(true);
    expect(throttle.admit('nurse', '10.0.0.99')).toMatchObject({ admitted: false, retryAfterMs: 120_000 });
    expect(throttle.locks()).toEqual([
      expect.objectContaining({ kind: 'user', subject: 'nurse', failures: 6 }),
    ]);
  });

  it('counts attempts as they are admitted, so parallel guesses cannot all get in', () => {
    const { throttle } = throttleWithClock();
    // Twenty admissions before any password check has finished: only five get through.
    const admitted = Array.from({ length: 20 }, () => throttle.admit('admin', '10.0.0.1')).filter(
      (a) => a.admitted,
    );
    expect(admitted).toHaveLength(USER_POLICY.threshold);
  });

  it("clears a user's failures on their success, but not the address's", () => {
    const { throttle } = throttleWithClock();
    for (let i = 0; i < 4; i++) throttle.admit('nurse', '10.0.0.1');
    const admission = throttle.admit('nurse', '10.0.0.1');
    if (!admission.admitted) throw new Error('expected admission');
    throttle.succeeded(admission.ticket);
    // The successful attempt is taken back from the address; the four guesses stay.
    for (let i = 0; i < 5; i++) expect(throttle.admit('nurse', '10.0.0.1').admitted).toBe(true);
    const more = ADDRESS_POLICY.threshold - 4 - 5;
    for (let i = 0; i < more; i++) expect(throttle.admit(`name-${i}`, '10.0.0.1').admitted).toBe(true);
    expect(throttle.admit('someone-else', '10.0.0.1')).toMatchObject({ admitted: false, kind: 'address' });
    expect(throttle.admit('someone-else', '10.0.0.2').admitted).toBe(true);
  });

  it('locks an address spraying many names, and an administrator can lift it', () => {
    const { throttle } = throttleWithClock();
    for (let i = 0; i < ADDRESS_POLICY.threshold; i++)
      expect(throttle.admit(`guess-${i}`, '192.0.2.7').admitted).toBe(true);
    expect(throttle.admit('nurse', '192.0.2.7')).toMatchObject({ admitted: false, kind: 'address' });
    expect(throttle.lift('address', '192.0.2.7')).toBe(true);
    expect(throttle.admit('nurse', '192.0.2.7').admitted).toBe(true);
    expect(throttle.lift('address', '192.0.2.7')).toBe(true);
    expect(throttle.lift('address', '192.0.2.7')).toBe(false);
  });

  it('forgets failures after a quiet day, but not while a lock is in force', () => {
    const { throttle, clock } = throttleWithClock();
    for (let i = 0; i < 4; i++) throttle.admit('nurse', null);
    clock.now += USER_POLICY.resetAfterMs + 1;
    for (let i = 0; i < 4; i++) expect(throttle.admit('nurse', null).admitted).toBe(true);
    expect(throttle.admit('nurse', null).admitted).toBe(true); // the fifth locks
    expect(throttle.admit('nurse', null).admitted).toBe(false);
  });

  it('records every attempt with the name tried, the address and a code', () => {
    const { throttle } = throttleWithClock();
    throttle.record({
      username: 'nobody',
      address: '10.0.0.1',
      outcome: 'failure',
      code: 'WL_BAD_CREDENTIALS',
    });
    throttle.record({ username: 'nurse', address: '10.0.0.1', outcome: 'success', code: null });
    expect(throttle.events({ limit: 10 })).toEqual([
      expect.objectContaining({ username: 'nurse', outcome: 'success', code: null }),
      expect.objectContaining({ username: 'nobody', address: '10.0.0.1', code: 'WL_BAD_CREDENTIALS' }),
    ]);
    expect(throttle.events({ username: 'nobody', limit: 10 })).toHaveLength(1);
  });
});
