import { describe, expect, it } from 'vitest';
import { ConnectBackoff } from './connect-backoff.js';

function backoffWithClock(options: ConstructorParameters<typeof ConnectBackoff>[0] = {}) {
  const time = { now: 0 };
  const backoff = new ConnectBackoff({
    failuresBeforeBackoff: 3,
    usernamesBeforeAddressBackoff: 3,
    initialBackoffMs: 1000,
    maxBackoffMs: 8000,
    forgetAfterMs: 60_000,
    ...options,
    now: () => time.now,
  });
  return { backoff, time };
}

const fail = (backoff: ConnectBackoff, address: string, user: string, times: number) => {
  for (let i = 0; i < times; i++) backoff.recordFailure(address, user);
};

describe('ConnectBackoff', () => {
  it('holds a user name back from an address after a few failures, for a doubling period with a cap', () => {
    const { backoff, time } = backoffWithClock();
    fail(backoff, '10.0.0.1', 'u', 2);
    expect(backoff.isBackingOff('10.0.0.1', 'u')).toBe(false);
    fail(backoff, '10.0.0.1', 'u', 1);
    expect(backoff.isBackingOff('10.0.0.1', 'u')).toBe(true);
    time.now = 999;
    expect(backoff.isBackingOff('10.0.0.1', 'u')).toBe(true);
    time.now = 1000;
    expect(backoff.isBackingOff('10.0.0.1', 'u')).toBe(false);

    const periods: number[] = [];
    for (let i = 0; i < 5; i++) {
      backoff.recordFailure('10.0.0.1', 'u');
      const from = time.now;
      while (backoff.isBackingOff('10.0.0.1', 'u')) time.now += 100;
      periods.push(time.now - from);
    }
    expect(periods).toEqual([2000, 4000, 8000, 8000, 8000]);
  });

  it('holds back only that user name from that address while failures name one user', () => {
    const { backoff } = backoffWithClock();
    fail(backoff, '10.0.0.1', 'victim', 10);
    expect(backoff.isBackingOff('10.0.0.1', 'victim')).toBe(true);
    expect(backoff.isBackingOff('10.0.0.1', 'neighbour')).toBe(false);
    expect(backoff.isBackingOff('10.0.0.2', 'victim')).toBe(false);
    expect(backoff.addressesBackingOff()).toBe(1);
  });

  it('holds back the whole address once failures from it span several user names', () => {
    const { backoff } = backoffWithClock();
    fail(backoff, '10.0.0.1', 'guess-1', 1);
    fail(backoff, '10.0.0.1', 'guess-2', 1);
    expect(backoff.isBackingOff('10.0.0.1', 'anyone')).toBe(false);
    fail(backoff, '10.0.0.1', 'guess-3', 1);
    expect(backoff.isBackingOff('10.0.0.1', 'anyone')).toBe(true);
    expect(backoff.isBackingOff('10.0.0.9', 'anyone')).toBe(false);
  });

  it("clears a user name's failures when its password is right, but not the address's", () => {
    const { backoff } = backoffWithClock();
    fail(backoff, '10.0.0.1', 'typo', 2);
    backoff.recordSuccess('10.0.0.1', 'typo');
    fail(backoff, '10.0.0.1', 'typo', 2);
    expect(backoff.isBackingOff('10.0.0.1', 'typo')).toBe(false);

    fail(backoff, '10.0.0.1', 'a', 1);
    fail(backoff, '10.0.0.1', 'b', 1);
    backoff.recordSuccess('10.0.0.1', 'b');
    expect(backoff.isBackingOff('10.0.0.1', 'anyone')).toBe(true);
  });

  it('forgets an address that has been quiet for a while', () => {
    const { backoff, time } = backoffWithClock();
    fail(backoff, '10.0.0.1', 'u', 2);
    time.now = 60_000;
    fail(backoff, '10.0.0.1', 'u', 2);
    // The first two were forgotten, so two more are still below the threshold of three.
    expect(backoff.isBackingOff('10.0.0.1', 'u')).toBe(false);
  });

  it('tracks a bounded number of addresses, the stalest going first', () => {
    const { backoff } = backoffWithClock({ maxTracked: 2 });
    fail(backoff, '10.0.0.1', 'u', 3);
    fail(backoff, '10.0.0.2', 'u', 3);
    fail(backoff, '10.0.0.3', 'u', 3);
    expect(backoff.isBackingOff('10.0.0.1', 'u')).toBe(false);
    expect(backoff.isBackingOff('10.0.0.2', 'u')).toBe(true);
    expect(backoff.isBackingOff('10.0.0.3', 'u')).toBe(true);
    expect(backoff.addressesBackingOff()).toBe(2);
  });
});
