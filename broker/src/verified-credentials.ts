/**
 * Credentials whose password check succeeded recently, so that a gateway reconnecting (after a
 * network drop, or while somebody floods the broker with bad passwords) is let in without another
 * scrypt check and never waits behind the hashing queue. Only successes are kept, under a keyed
 * digest of user name and password (see KeyedHash), never the password itself. An entry names the
 * stored hash it was checked against: once the users registry holds another hash for that user (a
 * new password) or no such user, the entry no longer matches.
 */
export interface VerifiedCredentialsOptions {
  /** How long an entry lasts after its last use. */
  ttlMs: number;
  /** The oldest entries go first beyond this. */
  maxEntries: number;
  now?: () => number;
}

interface Entry {
  passwordHash: string;
  expiresAt: number;
}

export class VerifiedCredentials {
  readonly #options: Required<VerifiedCredentialsOptions>;
  /** In order of last use: a Map iterates in insertion order, so the first entry is the stalest. */
  readonly #entries = new Map<string, Entry>();

  constructor(options: VerifiedCredentialsOptions) {
    this.#options = { now: () => performance.now(), ...options };
  }

  /** True when `key` was verified against exactly `passwordHash` and has not expired; renews it. */
  has(key: string, passwordHash: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#entries.delete(key);
    const now = this.#options.now();
    if (entry.expiresAt <= now || entry.passwordHash !== passwordHash) return false;
    this.#entries.set(key, { passwordHash, expiresAt: now + this.#options.ttlMs });
    return true;
  }

  add(key: string, passwordHash: string): void {
    this.#entries.delete(key);
    this.#entries.set(key, { passwordHash, expiresAt: this.#options.now() + this.#options.ttlMs });
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#options.maxEntries) break;
      this.#entries.delete(oldest);
    }
  }

  /** Renews an entry still present, e.g. when a connection it let in ends. */
  renew(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.expiresAt <= this.#options.now()) return;
    this.add(key, entry.passwordHash);
  }

  /** Entries held, expired ones included until they are next looked up or pushed out. */
  get size(): number {
    return this.#entries.size;
  }
}
