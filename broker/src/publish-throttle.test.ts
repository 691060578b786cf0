import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionThrottle, TokenBucket } from './publish-throttle.js';

describe('TokenBucket', () => {
  it('lets a burst through, then one token per 1/rate seconds, never more than the burst', () => {
    const time = { now: 0 };
    const bucket = new TokenBucket({ perSecond: 10, burst: 3 }, () => time.now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    expect(bucket.msUntilToken()).toBe(100);
    time.now = 100;
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    time.now = 60_000;
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  });

  it('refuses a rate that could never refill', () => {
    expect(() => new TokenBucket({ perSecond: 0, burst: 1 })).toThrow(RangeError);
  });
});

describe('ConnectionThrottle', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function throttle() {
    const reading = { paused: false, pauses: 0 };
    const control = {
      pauseReading: () => {
        reading.paused = true;
        reading.pauses += 1;
      },
      resumeReading: () => {
        reading.paused = false;
      },
    };
    const limits = { routine: { perSecond: 10, burst: 2 }, urgent: { perSecond: 1, burst: 1 } };
    return { throttle: new ConnectionThrottle(limits, control, { now: () => Date.now() }), reading };
  }

  it('passes publishes within the rate at once, holds the rest in order, and pauses reading meanwhile', () => {
    const { throttle: t, reading } = throttle();
    const passed: number[] = [];
    for (let n = 0; n < 5; n++) t.admit('routine', () => passed.push(n));
    expect(passed).toEqual([0, 1]);
    expect(reading.paused).toBe(true);
    expect(t.throttled).toBe(true);

    vi.advanceTimersByTime(100);
    expect(passed).toEqual([0, 1, 2]);
    vi.advanceTimersByTime(200);
    expect(passed).toEqual([0, 1, 2, 3, 4]);
    expect(reading.paused).toBe(false);
    expect(t.throttled).toBe(false);
    expect(t.delayed).toBe(3);
  });

  it('keeps urgent publishes in their own bucket: a routine backlog does not hold them back', () => {
    const { throttle: t } = throttle();
    const passed: string[] = [];
    for (let n = 0; n < 10; n++) t.admit('routine', () => passed.push(`routine-${n}`));
    t.admit('urgent', () => passed.push('urgent'));
    expect(passed).toContain('urgent');
    // ...and urgent ones cannot be used to dodge the routine rate: their bucket is small.
    t.admit('urgent', () => passed.push('urgent-2'));
    expect(passed).not.toContain('urgent-2');
    vi.advanceTimersByTime(1000);
    expect(passed).toContain('urgent-2');
  });

  it('drops what still waits when the connection ends: never authorized, never acknowledged', () => {
    const { throttle: t } = throttle();
    const passed: number[] = [];
    for (let n = 0; n < 4; n++) t.admit('routine', () => passed.push(n));
    t.close();
    vi.advanceTimersByTime(10_000);
    expect(passed).toEqual([0, 1]);
    t.admit('routine', () => passed.push(99));
    expect(passed).toEqual([0, 1]);
  });

  it('pauses reading once per throttled spell', () => {
    const { throttle: t, reading } = throttle();
    for (let n = 0; n < 6; n++) t.admit('routine', () => undefined);
    expect(reading.pauses).toBe(1);
  });

  it('counts payload bytes too: large batches wait for byte budget, small ones do not', () => {
    const reading = { paused: false, pauses: 0 };
    const control = {
      pauseReading: () => ((reading.paused = true), reading.pauses++),
      resumeReading: () => (reading.paused = false),
    };
    const limits = {
      routine: { perSecond: 100, burst: 100, bytes: { perSecond: 1000, burst: 2000 } },
      urgent: { perSecond: 1, burst: 1 },
    };
    const t = new ConnectionThrottle(limits, control, { now: () => Date.now() });
    const passed: string[] = [];
    t.admit('routine', () => passed.push('big-1'), 1500);
    t.admit('routine', () => passed.push('big-2'), 1500);
    expect(passed).toEqual(['big-1']);
    expect(reading.paused).toBe(true);
    vi.advanceTimersByTime(999);
    expect(passed).toEqual(['big-1']);
    vi.advanceTimersByTime(1);
    expect(passed).toEqual(['big-1', 'big-2']);
    // A message larger than the whole burst still goes, once the bucket is full: never stuck.
    t.admit('routine', () => passed.push('huge'), 50_000);
    vi.advanceTimersByTime(2000);
    expect(passed).toContain('huge');
  });
});
