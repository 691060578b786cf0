/**
 * Password checks with bounded work. scrypt is deliberately expensive (tens of milliseconds and
 * 16 MiB each), and before this bound 2,000 CONNECTs with wrong passwords delayed a real gateway's
 * connect from 53 ms to 47.6 s. Now:
 *
 *  1. credentials verified recently are accepted from memory (VerifiedCredentials), ahead of and
 *     without any queue, so a gateway that has connected before never waits for hashing;
 *  2. an address (or a user name from it) with repeated failures is refused at once, unchecked
 *     (ConnectBackoff);
 *  3. at most `hashConcurrency` checks run at once and `hashQueue` wait; beyond that the CONNECT is
 *     refused at once with CONNACK 3 (server unavailable), which tells the client to retry later;
 *  4. simultaneous CONNECTs with the same user name and password share one check;
 *  5. CONNECTs claiming a server user name are checked in a lane of their own: after a broker
 *     restart every gateway needs a check at once, and the server, which every home's readings
 *     wait for, must not queue behind them (it did: 30 s to reconnect behind 200 gateways).
 */
import { performance } from 'node:perf_hooks';
import { BoundedConcurrency } from './bounded-concurrency.js';
import { ConnectBackoff, type BackoffOptions } from './connect-backoff.js';
import { ConnackCode, RefusalCode } from './errors.js';
import { KeyedHash } from './keyed-hash.js';
import { isKitSecretHash, verifyKitSecret, verifyPassword } from './password.js';
import { UNKNOWN_USER_HASH, identityOf, type ConnectRefusal, type Identity } from './policy.js';
import type { UserDirectory, UserEntry } from './users.js';
import { VerifiedCredentials } from './verified-credentials.js';

export interface AuthLimits {
  /** Password checks running at once. */
  hashConcurrency: number;
  /** Password checks waiting for a slot; beyond that, refused with AUTH_BUSY. */
  hashQueue: number;
  /** How long verified credentials are remembered after their last use. */
  verifiedTtlMs: number;
  verifiedMaxEntries: number;
  backoff?: Partial<BackoffOptions>;
}

export const DEFAULT_AUTH_LIMITS: AuthLimits = {
  hashConcurrency: 2,
  hashQueue: 32,
  verifiedTtlMs: 10 * 60_000,
  verifiedMaxEntries: 10_000,
};

export type AuthenticationOutcome =
  | {
      allowed: true;
      identity: Identity;
      /** Names the verified credentials (a keyed digest) so that they can be renewed later. */
      credentialsKey: string;
      /** How the password was judged: from memory, by a scrypt check, or by a kit secret check. */
      via: 'verified' | 'checked' | 'kit';
      /** The stored hash the password matched: the connection lasts only while it is accepted. */
      passwordHash: string;
    }
  | ConnectRefusal;

export interface AuthStats {
  /** Password checks running now. */
  hashing: number;
  /** Password checks waiting for a slot. */
  queued: number;
  verifiedCredentials: number;
  backoffAddresses: number;
}

type CheckResult = 'matched' | 'mismatched' | 'backing-off';

/** CONNECTs claiming a server user name waiting for their own lane (the server opens a few sessions). */
const SERVER_LANE_QUEUE = 8;

/** Where the CONNECT came from; connections whose address is gone share one record. */
const UNKNOWN_ADDRESS = 'unknown';

export class Authenticator {
  readonly #users: UserDirectory;
  readonly #keyed = new KeyedHash();
  readonly #verified: VerifiedCredentials;
  readonly #backoff: ConnectBackoff;
  readonly #hashing: BoundedConcurrency;
  readonly #serverHashing = new BoundedConcurrency(1, SERVER_LANE_QUEUE);
  readonly #checking = new Map<string, Promise<CheckResult>>();

  constructor(users: UserDirectory, limits: AuthLimits = DEFAULT_AUTH_LIMITS, now = () => performance.now()) {
    this.#users = users;
    this.#verified = new VerifiedCredentials({
      ttlMs: limits.verifiedTtlMs,
      maxEntries: limits.verifiedMaxEntries,
      now,
    });
    this.#backoff = new ConnectBackoff({ ...limits.backoff, now });
    this.#hashing = new BoundedConcurrency(limits.hashConcurrency, limits.hashQueue);
  }

  async authenticate(
    username: string | undefined,
    password: Uint8Array | undefined,
    remoteAddress: string | undefined,
  ): Promise<AuthenticationOutcome> {
    // Anonymous clients are not authorized to connect: MQTT 3.1.1 section 3.2.2.3, Table 3.1, code 5.
    if (username === undefined) return refusal(RefusalCode.noCredentials, ConnackCode.notAuthorized);
    const secret = password ?? Buffer.alloc(0);
    const user = this.#users.find(username);
    const credentialsKey = this.#keyed.credentials(username, secret);
    if (user !== undefined && this.#verified.has(credentialsKey, user.passwordHash)) {
      return {
        allowed: true,
        identity: identityOf(user),
        credentialsKey,
        via: 'verified',
        passwordHash: user.passwordHash,
      };
    }

    const address = remoteAddress ?? UNKNOWN_ADDRESS;
    const usernameTag = this.#keyed.username(username);
    if (this.#backoff.isBackingOff(address, usernameTag)) {
      return refusal(RefusalCode.authBackoff, ConnackCode.serverUnavailable);
    }
    const kitHashes = kitSecretHashes(user);
    if (user !== undefined && kitHashes !== null) {
      // Microseconds each: checked here, never queued, and never remembered, so that a revoked or
      // expired secret is refused from the moment the directory stops listing it.
      const matched = kitHashes.find((hash) => verifyKitSecret(secret, hash));
      if (matched === undefined) {
        this.#backoff.recordFailure(address, usernameTag);
        return refusal(RefusalCode.badPassword, ConnackCode.badUsernameOrPassword);
      }
      this.#backoff.recordSuccess(address, usernameTag);
      return { allowed: true, identity: identityOf(user), credentialsKey, via: 'kit', passwordHash: matched };
    }
    const passwordHash = user?.passwordHash ?? UNKNOWN_USER_HASH;
    let check = this.#checking.get(credentialsKey);
    if (check === undefined) {
      // Claiming a server name earns the lane, not the identity: the password is still checked, and
      // wrong guesses at it back off like any other.
      const lane = user?.role === 'server' ? this.#serverHashing : this.#hashing;
      const queued = lane.run(async (): Promise<CheckResult> => {
        // Failures while it waited may have put this address on back-off: skip the work.
        if (this.#backoff.isBackingOff(address, usernameTag)) return 'backing-off';
        // An unknown user is checked against UNKNOWN_USER_HASH: it costs the same, so time tells nothing.
        const matched = (await verifyPassword(secret, passwordHash)) && user !== undefined;
        // Recorded before the next queued check starts, so that it sees this failure.
        if (matched) this.#backoff.recordSuccess(address, usernameTag);
        else this.#backoff.recordFailure(address, usernameTag);
        return matched ? 'matched' : 'mismatched';
      });
      if (queued === null) return refusal(RefusalCode.authBusy, ConnackCode.serverUnavailable);
      check = queued.finally(() => this.#checking.delete(credentialsKey));
      this.#checking.set(credentialsKey, check);
    }
    const result = await check;

    if (result === 'backing-off') return refusal(RefusalCode.authBackoff, ConnackCode.serverUnavailable);
    // The registry is read again: the answer counts only for the hash it was checked against.
    const current = this.#users.find(username);
    if (result === 'matched' && current !== undefined && current.passwordHash === passwordHash) {
      this.#verified.add(credentialsKey, passwordHash);
      return { allowed: true, identity: identityOf(current), credentialsKey, via: 'checked', passwordHash };
    }
    // Same return code for both, so a client cannot probe for user names (section 3.2.2.3, code 4).
    return user === undefined
      ? refusal(RefusalCode.unknownUser, ConnackCode.badUsernameOrPassword)
      : refusal(RefusalCode.badPassword, ConnackCode.badUsernameOrPassword);
  }

  /** Keeps credentials that let a connection in remembered from when that connection ends. */
  renew(credentialsKey: string): void {
    this.#verified.renew(credentialsKey);
  }

  stats(): AuthStats {
    return {
      hashing: this.#hashing.running + this.#serverHashing.running,
      queued: this.#hashing.waiting + this.#serverHashing.waiting,
      verifiedCredentials: this.#verified.size,
      backoffAddresses: this.#backoff.addressesBackingOff(),
    };
  }
}

/** The kit secret hashes a store-backed user may connect with now; null for a users-file user. */
function kitSecretHashes(user: UserEntry | undefined): readonly string[] | null {
  if (user?.role !== 'gateway' || user.passwordHashes === undefined) return null;
  return user.passwordHashes.every(isKitSecretHash) ? user.passwordHashes : null;
}

/** The stored hashes a user's connections may hold now. */
export function acceptedHashes(user: UserEntry | undefined): readonly string[] {
  if (user === undefined) return [];
  return user.role === 'gateway' && user.passwordHashes !== undefined
    ? user.passwordHashes
    : [user.passwordHash];
}

function refusal(code: RefusalCode, returnCode: ConnackCode): ConnectRefusal {
  return { allowed: false, code, returnCode };
}
