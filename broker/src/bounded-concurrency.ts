/**
 * Runs at most `concurrency` tasks at once and lets at most `maxWaiting` more wait for a slot.
 * Beyond that `run` answers null at once: the caller refuses instead of piling up work.
 */
export class BoundedConcurrency {
  readonly #concurrency: number;
  readonly #maxWaiting: number;
  readonly #waiting: Array<() => void> = [];
  #running = 0;

  constructor(concurrency: number, maxWaiting: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be >= 1');
    if (!Number.isInteger(maxWaiting) || maxWaiting < 0) throw new RangeError('maxWaiting must be >= 0');
    this.#concurrency = concurrency;
    this.#maxWaiting = maxWaiting;
  }

  /** The task's result, once it has had a slot; null when no slot is free and the queue is full. */
  run<T>(task: () => Promise<T>): Promise<T> | null {
    if (this.#running < this.#concurrency) return this.#start(task);
    if (this.#waiting.length >= this.#maxWaiting) return null;
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push(() => this.#start(task).then(resolve, reject));
    });
  }

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  async #start<T>(task: () => Promise<T>): Promise<T> {
    this.#running += 1;
    try {
      return await task();
    } finally {
      this.#running -= 1;
      this.#waiting.shift()?.();
    }
  }
}
