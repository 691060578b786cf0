/**
 * Caps how fast one gateway connection's PUBLISHes are taken in, so that one home flooding cannot
 * take a large share of the broker's and the server's time. Nothing is dropped or refused: a
 * PUBLISH beyond the rate waits for a token before it is authorized (and so acknowledged and
 * delivered), and meanwhile the connection's socket is not read, so the flood backs up into the
 * sender's own TCP window. Falls and help calls (the urgent topic) have a bucket of their own, so
 * that routine readings cannot hold them back, and a small one, so that they cannot be abused to
 * dodge the routine rate. Each lane counts messages and payload bytes: a gateway sending the
 * largest batches the contract allows cannot multiply its share of the server's work by 500.
 */
import type { PublishLane } from './policy.js';

export interface RateLimit {
  /** Tokens added per second: the sustained rate. */
  perSecond: number;
  /** Tokens held at most: how many can go at once after a quiet spell. */
  burst: number;
}

/** A lane's limits: messages, and optionally payload bytes (both must allow a PUBLISH through). */
export interface LaneLimit extends RateLimit {
  bytes?: RateLimit;
}

export type PublishRateLimits = Record<PublishLane, LaneLimit>;

/**
 * Routine: 256 KiB/s is about 1,000 readings a second, so a gateway replays a full 100,000-reading
 * outbox in under two minutes; the 1 MiB burst lets the broker's largest PUBLISH through at once.
 */
export const DEFAULT_PUBLISH_RATE_LIMITS: PublishRateLimits = {
  routine: { perSecond: 50, burst: 200, bytes: { perSecond: 256 * 1024, burst: 1024 * 1024 } },
  urgent: { perSecond: 5, burst: 20, bytes: { perSecond: 32 * 1024, burst: 256 * 1024 } },
};

export class TokenBucket {
  readonly #limit: RateLimit;
  readonly #now: () => number;
  #tokens: number;
  #refilledAt: number;

  constructor(limit: RateLimit, now: () => number = () => performance.now()) {
    if (!(limit.perSecond > 0) || !(limit.burst >= 1))
      throw new RangeError('a rate needs perSecond > 0 and burst >= 1');
    this.#limit = limit;
    this.#now = now;
    this.#tokens = limit.burst;
    this.#refilledAt = now();
  }

  /** Takes `cost` tokens if there are that many; a cost above the burst counts as the burst. */
  take(cost = 1): boolean {
    if (!this.has(cost)) return false;
    this.#tokens -= Math.min(cost, this.#limit.burst);
    return true;
  }

  has(cost = 1): boolean {
    this.#refill();
    return this.#tokens >= Math.min(cost, this.#limit.burst);
  }

  /** Milliseconds until `cost` tokens are there (0 if they are). */
  msUntilToken(cost = 1): number {
    this.#refill();
    const missing = Math.min(cost, this.#limit.burst) - this.#tokens;
    return missing <= 0 ? 0 : Math.ceil((missing * 1000) / this.#limit.perSecond);
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = Math.max(0, now - this.#refilledAt);
    this.#tokens = Math.min(this.#limit.burst, this.#tokens + (elapsed * this.#limit.perSecond) / 1000);
    this.#refilledAt = now;
  }
}

/** What the throttle needs from the connection: stop and restart reading its socket. */
export interface ReadControl {
  pauseReading(): void;
  resumeReading(): void;
}

interface Waiting {
  proceed: () => void;
  bytes: number;
}

interface Lane {
  bucket: TokenBucket;
  bytes: TokenBucket | null;
  waiting: Waiting[];
  timer: NodeJS.Timeout | undefined;
}

function tryTake(lane: Lane, bytes: number): boolean {
  if (!lane.bucket.has() || (lane.bytes !== null && !lane.bytes.has(bytes))) return false;
  lane.bucket.take();
  lane.bytes?.take(bytes);
  return true;
}

/** One connection's buckets and the PUBLISHes waiting for them, released in arrival order per lane. */
export class ConnectionThrottle {
  readonly #lanes: Record<PublishLane, Lane>;
  readonly #reading: ReadControl;
  readonly #onThrottled: () => void;
  #delayed = 0;
  #closed = false;

  constructor(
    limits: PublishRateLimits,
    reading: ReadControl,
    options: { now?: () => number; onThrottled?: () => void } = {},
  ) {
    const lane = (limit: LaneLimit): Lane => ({
      bucket: new TokenBucket(limit, options.now),
      bytes: limit.bytes ? new TokenBucket(limit.bytes, options.now) : null,
      waiting: [],
      timer: undefined,
    });
    this.#lanes = { routine: lane(limits.routine), urgent: lane(limits.urgent) };
    this.#reading = reading;
    this.#onThrottled = options.onThrottled ?? (() => undefined);
  }

  /**
   * Calls `proceed` now if the lane has room for one message of `bytes`, else once it has (and
   * nothing waits before it).
   */
  admit(laneName: PublishLane, proceed: () => void, bytes = 0): void {
    if (this.#closed) return;
    const lane = this.#lanes[laneName];
    if (lane.waiting.length === 0 && tryTake(lane, bytes)) {
      proceed();
      return;
    }
    if (!this.throttled) {
      this.#reading.pauseReading();
      this.#onThrottled();
    }
    this.#delayed += 1;
    lane.waiting.push({ proceed, bytes });
    this.#schedule(lane);
  }

  /** True while PUBLISHes wait for tokens (and the socket is not read). */
  get throttled(): boolean {
    return this.#lanes.routine.waiting.length > 0 || this.#lanes.urgent.waiting.length > 0;
  }

  /** PUBLISHes waiting for tokens now. */
  get waiting(): number {
    return this.#lanes.routine.waiting.length + this.#lanes.urgent.waiting.length;
  }

  /** PUBLISHes that had to wait, over the connection's life. */
  get delayed(): number {
    return this.#delayed;
  }

  /** The connection ended: PUBLISHes still waiting are never authorized (never acknowledged). */
  close(): void {
    this.#closed = true;
    for (const lane of Object.values(this.#lanes)) {
      clearTimeout(lane.timer);
      lane.waiting.length = 0;
    }
  }

  #schedule(lane: Lane): void {
    if (lane.timer !== undefined || this.#closed) return;
    lane.timer = setTimeout(() => {
      lane.timer = undefined;
      this.#release(lane);
    }, this.#msUntilRoom(lane));
  }

  #msUntilRoom(lane: Lane): number {
    const bytes = lane.waiting[0]?.bytes ?? 0;
    return Math.max(lane.bucket.msUntilToken(), lane.bytes?.msUntilToken(bytes) ?? 0);
  }

  #release(lane: Lane): void {
    while (lane.waiting.length > 0 && !this.#closed && tryTake(lane, lane.waiting[0]?.bytes ?? 0)) {
      lane.waiting.shift()?.proceed();
    }
    if (this.#closed) return;
    if (lane.waiting.length > 0) this.#schedule(lane);
    else if (!this.throttled) this.#reading.resumeReading();
  }
}
