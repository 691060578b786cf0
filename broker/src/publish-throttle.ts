/**
 * Caps how fast one gateway connection's PUBLISHes are taken in, so that one home flooding cannot
 * take a large share of the broker's and the server's time. Nothing is dropped or refused: a
 * PUBLISH beyond the rate waits for a token before it is authorized (and so acknowledged and
 * delivered), and meanwhile the connection's socket is not read, so the flood backs up into the
 * sender's own TCP window. Falls and help calls (the urgent topic) have a bucket of their own, so
 * that routine readings cannot hold them back, and a small one, so that they cannot be abused to
 * dodge the routine rate.
 */
import type { PublishLane } from './policy.js';

export interface RateLimit {
  /** Tokens added per second: the sustained rate. */
  perSecond: number;
  /** Tokens held at most: how many can go at once after a quiet spell. */
  burst: number;
}

export type PublishRateLimits = Record<PublishLane, RateLimit>;

export const DEFAULT_PUBLISH_RATE_LIMITS: PublishRateLimits = {
  routine: { perSecond: 50, burst: 200 },
  urgent: { perSecond: 5, burst: 20 },
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

  /** Takes one token if there is one. */
  take(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is there (0 if one is). */
  msUntilToken(): number {
    this.#refill();
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) * 1000) / this.#limit.perSecond);
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

interface Lane {
  bucket: TokenBucket;
  waiting: Array<() => void>;
  timer: NodeJS.Timeout | undefined;
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
    const lane = (limit: RateLimit): Lane => ({
      bucket: new TokenBucket(limit, options.now),
      waiting: [],
      timer: undefined,
    });
    this.#lanes = { routine: lane(limits.routine), urgent: lane(limits.urgent) };
    this.#reading = reading;
    this.#onThrottled = options.onThrottled ?? (() => undefined);
  }

  /** Calls `proceed` now if the lane has a token, else once it has one (and nothing waits before). */
  admit(laneName: PublishLane, proceed: () => void): void {
    if (this.#closed) return;
    const lane = this.#lanes[laneName];
    if (lane.waiting.length === 0 && lane.bucket.take()) {
      proceed();
      return;
    }
    if (!this.throttled) {
      this.#reading.pauseReading();
      this.#onThrottled();
    }
    this.#delayed += 1;
    lane.waiting.push(proceed);
    this.#schedule(lane);
  }

  /** True while PUBLISHes wait for tokens (and the socket is not read). */
  get throttled(): boolean {
    return this.#lanes.routine.waiting.length > 0 || this.#lanes.urgent.waiting.length > 0;
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
    }, lane.bucket.msUntilToken());
  }

  #release(lane: Lane): void {
    while (lane.waiting.length > 0 && !this.#closed && lane.bucket.take()) lane.waiting.shift()?.();
    if (this.#closed) return;
    if (lane.waiting.length > 0) this.#schedule(lane);
    else if (!this.throttled) this.#reading.resumeReading();
  }
}
