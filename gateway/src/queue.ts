/**
 * The outbox: every observation waits here from the moment it is decoded until the broker has
 * acknowledged (PUBACK) the batch that carried it.
 *
 * - `peekBatch` hands out the next batch without removing anything; only `ack` removes. A batch
 *   lost with a connection is simply handed out again after reconnection.
 * - Urgent kinds (protocol isUrgentKind: fall, help_request, upright, no_movement) overtake the
 *   backlog: while any is pending, batches carry urgent observations only. Otherwise batches
 *   follow queue order, which is the order readings were taken (their seq order).
 * - The outbox has a capacity. Urgent observations are always accepted. A routine observation
 *   beyond capacity evicts the oldest routine one, and the eviction is returned to the caller to
 *   be logged and counted: never silent.
 *
 * This is an interface so that a durable (SQLite) outbox can replace the in-memory one; the
 * methods are synchronous because better-sqlite3 is.
 */
import { isUrgentKind, type Observation } from '@wardline/protocol';

/** Ids to skip: a Set, or a Map keyed by id. */
export interface IdFilter {
  has(id: string): boolean;
}

export interface EnqueueResult {
  /** Routine observations dropped to make room (oldest first); empty in normal operation. */
  evicted: Observation[];
}

export interface OutboxStats {
  pending: number;
  urgentPending: number;
  capacity: number;
  /** Observations evicted for capacity since start. */
  evicted: number;
  /** Observations acknowledged by the broker since start. */
  acked: number;
}

export interface Outbox {
  readonly capacity: number;
  enqueue(observation: Observation): EnqueueResult;
  /**
   * Up to `max` observations to send next, skipping ids in `exclude` (those already in flight).
   * All urgent ones come before any routine one, and a batch never mixes the two.
   */
  peekBatch(max: number, exclude?: IdFilter): Observation[];
  /** Removes acknowledged observations; unknown ids are ignored (acks may repeat). */
  ack(ids: Iterable<string>): number;
  size(): number;
  stats(): OutboxStats;
  /** Releases resources (a durable outbox closes its database). */
  close(): void;
}

export const DEFAULT_OUTBOX_CAPACITY = 100_000;

export class MemoryOutbox implements Outbox {
  readonly capacity: number;
  // Maps keep insertion order and delete in O(1).
  private readonly urgent = new Map<string, Observation>();
  private readonly routine = new Map<string, Observation>();
  private evictedCount = 0;
  private ackedCount = 0;

  constructor(options: { capacity?: number } = {}) {
    this.capacity = options.capacity ?? DEFAULT_OUTBOX_CAPACITY;
    if (!Number.isInteger(this.capacity) || this.capacity < 1)
      throw new RangeError('outbox capacity must be >= 1');
  }

  enqueue(observation: Observation): EnqueueResult {
    if (this.urgent.has(observation.id) || this.routine.has(observation.id)) return { evicted: [] };
    if (isUrgentKind(observation.kind)) {
      this.urgent.set(observation.id, observation);
      return { evicted: [] };
    }
    const evicted: Observation[] = [];
    while (this.size() >= this.capacity && this.routine.size > 0) {
      const [oldestId, oldest] = this.routine.entries().next().value as [string, Observation];
      this.routine.delete(oldestId);
      evicted.push(oldest);
    }
    this.evictedCount += evicted.length;
    this.routine.set(observation.id, observation);
    return { evicted };
  }

  peekBatch(max: number, exclude: IdFilter = new Set<string>()): Observation[] {
    const take = (from: Map<string, Observation>) => {
      const batch: Observation[] = [];
      for (const [id, observation] of from) {
        if (batch.length >= max) break;
        if (!exclude.has(id)) batch.push(observation);
      }
      return batch;
    };
    const urgent = take(this.urgent);
    return urgent.length > 0 ? urgent : take(this.routine);
  }

  ack(ids: Iterable<string>): number {
    let removed = 0;
    for (const id of ids) {
      if (this.urgent.delete(id) || this.routine.delete(id)) removed++;
    }
    this.ackedCount += removed;
    return removed;
  }

  size(): number {
    return this.urgent.size + this.routine.size;
  }

  stats(): OutboxStats {
    return {
      pending: this.size(),
      urgentPending: this.urgent.size,
      capacity: this.capacity,
      evicted: this.evictedCount,
      acked: this.ackedCount,
    };
  }

  close(): void {}
}
