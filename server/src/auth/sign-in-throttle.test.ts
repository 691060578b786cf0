import { expect, it } from 'vitest';
import { describeEngines } from '../testing-sql.js';
import { ADDRESS_POLICY, USER_POLICY, createSignInThrottle, lockDuration } from './sign-in-throttle.js';

describeEngines('sign-in throttle', (open) => {
  async function throttleWithClock(start = Date.parse('2026-11-20T10:00:00Z')) {
    const clock = { now: start };
    const throttle = createSignInThrottle(await open(), { now: () => clock.now });
    const admitted = async (username: string, address: string | null) =>
      (await throttle.admit(username, address)).admitted;
    return { throttle, clock, admitted };
  }

  it('locks a user name after five failures, for doubling periods up to an hour', async () => {
    expect([4, 5, 6, 7, 20].map((n) => lockDuration(USER_POLICY, n))).toEqual([
      null,
      60_000,
      120_000,
      240_000,
      3_600_000,
    ]);
    const { throttle, clock, admitted } = await throttleWithClock();
    for (let i = 0; i < 5; i++) expect(await admitted('nurse', `10.0.0.${i}`)).toBe(true);
    expect(await throttle.admit('nurse', '10.0.0.99')).toEqual({
      admitted: false,
      kind: 'user',
      retryAfterMs: 60_000,
    });
    clock.now += 60_001;
    expect(await admitted('nurse', '10.0.0.99')).toBe(true);
    expect(await throttle.admit('nurse', '10.0.0.99')).toMatchObject({
      admitted: false,
      retryAfterMs: 120_000,
    });
    expect(await throttle.locks()).toEqual([
      expect.objectContaining({ kind: 'user', subject: 'nurse', failures: 6 }),
    ]);
  });

  it('counts attempts as they are admitted, so parallel guesses cannot all get in', async () => {
    const { throttle } = await throttleWithClock();
    // Twenty admissions at once, before any password check has finished: only five get through.
    const admissions = await Promise.all(
      Array.from({ length: 20 }, () => throttle.admit('admin', '10.0.0.1')),
    );
    expect(admissions.filter((a) => a.admitted)).toHaveLength(USER_POLICY.threshold);
    expect(await throttle.locks()).toEqual([
      expect.objectContaining({ kind: 'user', subject: 'admin', failures: USER_POLICY.threshold }),
    ]);
  });

  it("clears a user's failures on their success, but not the address's", async () => {
    const { throttle, admitted } = await throttleWithClock();
    for (let i = 0; i < 4; i++) await throttle.admit('nurse', '10.0.0.1');
    const admission = await throttle.admit('nurse', '10.0.0.1');
    if (!admission.admitted) throw new Error('expected admission');
    await throttle.succeeded(admission.ticket);
    // The successful attempt is taken back from the address; the four guesses stay.
    for (let i = 0; i < 5; i++) expect(await admitted('nurse', '10.0.0.1')).toBe(true);
    const more = ADDRESS_POLICY.threshold - 4 - 5;
    for (let i = 0; i < more; i++) expect(await admitted(`name-${i}`, '10.0.0.1')).toBe(true);
    expect(await throttle.admit('someone-else', '10.0.0.1')).toMatchObject({
      admitted: false,
      kind: 'address',
    });
    expect(await admitted('someone-else', '10.0.0.2')).toBe(true);
  });

  it('counts nothing against the user when the address is locked', async () => {
    const { throttle, admitted } = await throttleWithClock();
    for (let i = 0; i < ADDRESS_POLICY.threshold; i++) await throttle.admit(`guess-${i}`, '192.0.2.7');
    expect(await admitted('nurse', '192.0.2.7')).toBe(false);
    expect(await throttle.locks()).toEqual([
      expect.objectContaining({ kind: 'address', subject: '192.0.2.7' }),
    ]);
    // Four more from elsewhere still leave the name one short of its lock.
    for (let i = 0; i < USER_POLICY.threshold - 1; i++)
      expect(await admitted('nurse', '10.0.0.1')).toBe(true);
    expect(await throttle.locks()).toHaveLength(1);
  });

  it('locks an address spraying many names, and an administrator can lift it', async () => {
    const { throttle, admitted } = await throttleWithClock();
    for (let i = 0; i < ADDRESS_POLICY.threshold; i++)
      expect(await admitted(`guess-${i}`, '192.0.2.7')).toBe(true);
    expect(await throttle.admit('nurse', '192.0.2.7')).toMatchObject({ admitted: false, kind: 'address' });
    expect(await throttle.lift('address', '192.0.2.7')).toBe(true);
    expect(await admitted('nurse', '192.0.2.7')).toBe(true);
    expect(await throttle.lift('address', '192.0.2.7')).toBe(true);
    expect(await throttle.lift('address', '192.0.2.7')).toBe(false);
  });

  it('forgets failures after a quiet day, but not while a lock is in force', async () => {
    const { throttle, clock, admitted } = await throttleWithClock();
    for (let i = 0; i < 4; i++) await throttle.admit('nurse', null);
    clock.now += USER_POLICY.resetAfterMs + 1;
    for (let i = 0; i < 4; i++) expect(await admitted('nurse', null)).toBe(true);
    expect(await admitted('nurse', null)).toBe(true); // the fifth locks
    expect(await admitted('nurse', null)).toBe(false);
  });

  it('records every attempt with the name tried, the address and a code', async () => {
    const { throttle } = await throttleWithClock();
    await throttle.record({
      username: 'nobody',
      address: '10.0.0.1',
      outcome: 'failure',
      code: 'WL_BAD_CREDENTIALS',
    });
    await throttle.record({ username: 'nurse', address: '10.0.0.1', outcome: 'success', code: null });
    expect(await throttle.events({ limit: 10 })).toEqual([
      expect.objectContaining({ username: 'nurse', outcome: 'success', code: null }),
      expect.objectContaining({ username: 'nobody', address: '10.0.0.1', code: 'WL_BAD_CREDENTIALS' }),
    ]);
    expect(await throttle.events({ username: 'nobody', limit: 10 })).toHaveLength(1);
  });
});
