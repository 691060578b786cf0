import { describe, expect, it } from 'vitest';
import { BoundedConcurrency } from './bounded-concurrency.js';

function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('BoundedConcurrency', () => {
  it('runs at most `concurrency` tasks, queues up to `maxWaiting`, and refuses the rest at once', async () => {
    const limiter = new BoundedConcurrency(2, 1);
    const gates = [gate(), gate(), gate()];
    const started: number[] = [];
    const task = (n: number) => async () => {
      started.push(n);
      await gates[n]!.opened;
      return n;
    };
    const first = limiter.run(task(0));
    const second = limiter.run(task(1));
    const third = limiter.run(task(2));
    expect(limiter.run(task(2))).toBeNull();
    expect([limiter.running, limiter.waiting]).toEqual([2, 1]);
    expect(started).toEqual([0, 1]);

    gates[0]!.open();
    expect(await first).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1, 2]);
    expect([limiter.running, limiter.waiting]).toEqual([2, 0]);

    gates[1]!.open();
    gates[2]!.open();
    expect(await Promise.all([second, third])).toEqual([1, 2]);
    expect([limiter.running, limiter.waiting]).toEqual([0, 0]);
  });

  it('frees the slot of a task that fails, and passes the failure on', async () => {
    const limiter = new BoundedConcurrency(1, 1);
    const failing = limiter.run(() => Promise.reject(new Error('boom')));
    const next = limiter.run(() => Promise.resolve('ran'));
    await expect(failing).rejects.toThrow('boom');
    expect(await next).toBe('ran');
    expect(limiter.running).toBe(0);
  });

  it('with no queue, refuses whatever finds every slot busy', () => {
    const limiter = new BoundedConcurrency(1, 0);
    const { opened, open } = gate();
    const running = limiter.run(() => opened);
    expect(limiter.run(() => Promise.resolve())).toBeNull();
    open();
    return running;
  });
});
