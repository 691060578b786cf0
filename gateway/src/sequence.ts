/**
 * The per-gateway observation sequence: increases by one per observation queued. Behind an
 * interface so the durable outbox can persist it beside the observations (a restart must not
 * reuse numbers); this in-memory one restarts from `start`.
 */
export interface Sequence {
  /** The number next() will return, without taking it. */
  peek(): number;
  /** Takes the next number. */
  next(): number;
}

export class MemorySequence implements Sequence {
  private value: number;

  constructor(start = 0) {
    if (!Number.isSafeInteger(start) || start < 0)
      throw new RangeError(`sequence start ${start} is not a non-negative integer`);
    this.value = start;
  }

  peek(): number {
    return this.value;
  }

  next(): number {
    return this.value++;
  }
}
