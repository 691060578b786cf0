/**
 * Failed CONNECTs (wrong password, unknown user) remembered per remote address, so that a client
 * guessing or flooding is refused at once, without a password check, for a period that doubles
 * with each further failure up to a cap.
 *
 * Two scopes, because many honest gateways can share one address (a care home behind one NAT,
 * every test on 127.0.0.1): failures for one user name from an address hold back only that user
 * name from that address; the whole address is held back once failures from it span several user
 * names, which is what guessing user names or rotating them to dodge the first scope looks like.
 * Credentials that were verified recently never get here (see VerifiedCredentials), so a gateway
 * that has connected before is not held back by a flood from its own address.
 */
export interface BackoffOptions {
  /** Failures (for a user name from an address) before the first back-off. */
  failuresBeforeBackoff: number;
  /** Distinct failing user names from one address before the whole address is held back. */
  usernamesBeforeAddressBackoff: number;
  /** The first back-off; each further failure doubles it. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** A record with no failure for this long, and not backing off, is forgotten. */
  forgetAfterMs: number;
  /** Records kept per scope; the stalest go first beyond this. */
  maxTracked: number;
  now?: () => number;
}

export const DEFAULT_BACKOFF: Omit<BackoffOptions, 'now'> = {
  failuresBeforeBackoff: 5,
  usernamesBeforeAddressBackoff: 5,
  initialBackoffMs: 1000,
  maxBackoffMs: 60_000,
  forgetAfterMs: 10 * 60_000,
  maxTracked: 10_000,
};

interface FailureRecord {
  failures: number;
  lastFailureAt: number;
  /** Refuse until then; 0 while under the threshold. */
  until: number;
  /** Address records only: the failing user names seen, up to the threshold. */
  usernames?: Set<string>;
}

export class ConnectBackoff {
  readonly #options: Required<BackoffOptions>;
  /** Keyed by `${address}\0${usernameTag}`. */
  readonly #pairs = new Map<string, FailureRecord>();
  readonly #addresses = new Map<string, FailureRecord>();

  constructor(options: Partial<BackoffOptions> = {}) {
    this.#options = { ...DEFAULT_BACKOFF, now: () => performance.now(), ...options };
  }

  /**
   * True while CONNECTs for this user name from this address are refused unchecked.
   * `usernameTag` is a digest of the claimed user name (KeyedHash), never the name itself.
   */
  isBackingOff(address: string, usernameTag: string): boolean {
    const now = this.#options.now();
    const pair = this.#current(this.#pairs, pairKey(address, usernameTag), now);
    if (pair !== undefined && pair.until > now) return true;
    const whole = this.#current(this.#addresses, address, now);
    return whole !== undefined && whole.until > now && this.#holdsWholeAddress(whole);
  }

  recordFailure(address: string, usernameTag: string): void {
    const now = this.#options.now();
    this.#fail(this.#pairs, pairKey(address, usernameTag), now);
    const whole = this.#fail(this.#addresses, address, now);
    whole.usernames ??= new Set();
    if (whole.usernames.size < this.#options.usernamesBeforeAddressBackoff) whole.usernames.add(usernameTag);
  }

  /** The right password for this user name: its earlier failures from here were its owner's typos. */
  recordSuccess(address: string, usernameTag: string): void {
    // The address record stays: a client holding one valid password must not clear the others' failures.
    this.#pairs.delete(pairKey(address, usernameTag));
  }

  /** How many addresses are refusing something right now (for the health report). */
  addressesBackingOff(): number {
    const now = this.#options.now();
    const addresses = new Set<string>();
    for (const [key, record] of this.#pairs) {
      if (record.until > now) addresses.add(key.slice(0, key.indexOf('\u0000')));
    }
    for (const [address, record] of this.#addresses) {
      if (record.until > now && this.#holdsWholeAddress(record)) addresses.add(address);
    }
    return addresses.size;
  }

  #fail(records: Map<string, FailureRecord>, key: string, now: number): FailureRecord {
    const record = this.#current(records, key, now) ?? { failures: 0, lastFailureAt: now, until: 0 };
    record.failures += 1;
    record.lastFailureAt = now;
    const beyond = record.failures - this.#options.failuresBeforeBackoff;
    if (beyond >= 0) {
      const period = Math.min(this.#options.maxBackoffMs, this.#options.initialBackoffMs * 2 ** beyond);
      record.until = now + period;
    }
    // Re-inserted so that the map stays in order of last failure and the stalest is evicted first.
    records.delete(key);
    records.set(key, record);
    for (const oldest of records.keys()) {
      if (records.size <= this.#options.maxTracked) break;
      records.delete(oldest);
    }
    return record;
  }

  #holdsWholeAddress(record: FailureRecord): boolean {
    return (record.usernames?.size ?? 0) >= this.#options.usernamesBeforeAddressBackoff;
  }

  /** The record, unless it is stale; a stale one is dropped. */
  #current(records: Map<string, FailureRecord>, key: string, now: number): FailureRecord | undefined {
    const record = records.get(key);
    if (record === undefined) return undefined;
    if (record.until <= now && now - record.lastFailureAt >= this.#options.forgetAfterMs) {
      records.delete(key);
      return undefined;
    }
    return record;
  }
}

function pairKey(address: string, usernameTag: string): string {
  return `${address}\u0000${usernameTag}`;
}
