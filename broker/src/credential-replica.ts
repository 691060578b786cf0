/**
 * The broker's copy of the gateway kit credentials kept in the server's database. It polls the
 * server's feed (GET /api/internal/broker/credentials?since=N) about once a second, so a kit
 * registered, rotated or revoked there is admitted or refused here within seconds and without a
 * restart. The last copy is kept in an owner-only file, so that a broker restarted while the server
 * is down still admits the hubs it knew (and refuses those it knew to be revoked).
 */
import { randomUUID } from 'node:crypto';
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { isTopicSegment, type BrokerCredentialFeed } from '@wardline/protocol';
import type { Logger } from 'pino';
import { isKitSecretHash } from './password.js';
import { CLIENT_ID_SUFFIX_SEPARATOR, SERVER_CLIENT_ID_PREFIX } from './policy.js';
import type { GatewayUser, UserDirectory } from './users.js';

type FeedUser = BrokerCredentialFeed['users'][number];

export interface CredentialReplicaOptions {
  /** The server's feed, e.g. http://127.0.0.1:8080/api/internal/broker/credentials */
  url: string;
  /** Bearer token shared with the server (WARDLINE_BROKER_SYNC_TOKEN). */
  token: string;
  /** Where the last replica is kept (owner-only); none: memory only. */
  file?: string | null;
  intervalMs?: number;
  /** Past this without a successful sync, health reports the replica stale. */
  staleAfterMs?: number;
  logger: Logger;
  now?: () => number;
}

export interface ReplicaStatus {
  /** The feed version held; 0 before any. */
  version: number;
  users: number;
  /** Seconds since the last successful sync; null before any. */
  lastSyncAgeSeconds: number | null;
  syncFailures: number;
  /** No successful sync for longer than staleAfterMs (or none yet). */
  stale: boolean;
  /** The reason of the last failed sync, when the last attempt failed. */
  lastError: string | null;
}

const REQUEST_TIMEOUT_MS = 5_000;

export class CredentialReplica implements UserDirectory {
  readonly #options: Required<Omit<CredentialReplicaOptions, 'file'>> & { file: string | null };
  readonly #users = new Map<string, FeedUser>();
  readonly #listeners: ((usernames: readonly string[]) => void)[] = [];
  #version = 0;
  #lastSync: number | null = null;
  #failures = 0;
  #lastError: string | null = null;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  /** Ends a poll in flight when the broker stops, so its connection does not outlive the broker. */
  readonly #stop = new AbortController();
  #syncing: Promise<void> | null = null;
  /** The earliest notAfter still ahead, so that expiry is noticed without scanning every user. */
  #nextExpiry = Infinity;
  #startedAt = 0;
  /** The next feed read is the whole state (after the server's feed went back in version). */
  #replaceAll = false;
  #warnedStale = false;

  constructor(options: CredentialReplicaOptions) {
    this.#options = {
      intervalMs: 1_000,
      staleAfterMs: 30_000,
      now: () => Date.now(),
      ...options,
      file: options.file ?? null,
    };
  }

  /** Loads the kept copy (if any), syncs once (a failure is logged, not thrown), then keeps polling. */
  async start(): Promise<void> {
    this.#startedAt = this.#options.now();
    await this.#load();
    await this.syncNow();
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    this.#stop.abort();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  find(username: string): GatewayUser | undefined {
    const user = this.#users.get(username);
    if (user === undefined) return undefined;
    const now = this.#options.now();
    const hashes = user.secrets
      .filter((secret) => secret.notAfter === null || Date.parse(secret.notAfter) > now)
      .map((secret) => secret.hash);
    if (hashes.length === 0) return undefined;
    return {
      username: user.username,
      role: 'gateway',
      site: user.site,
      gateway: user.gateway,
      passwordHash: hashes[0]!,
      passwordHashes: hashes,
    };
  }

  get size(): number {
    return this.#users.size;
  }

  onChange(listener: (usernames: readonly string[]) => void): void {
    this.#listeners.push(listener);
  }

  status(): ReplicaStatus {
    const now = this.#options.now();
    const age = this.#lastSync === null ? null : now - this.#lastSync;
    return {
      version: this.#version,
      users: this.#users.size,
      lastSyncAgeSeconds: age === null ? null : Math.floor(age / 1000),
      syncFailures: this.#failures,
      stale: age === null || age > this.#options.staleAfterMs,
      lastError: this.#lastError,
    };
  }

  /** One poll of the feed; concurrent callers share it. */
  syncNow(): Promise<void> {
    this.#syncing ??= this.#sync().finally(() => (this.#syncing = null));
    return this.#syncing;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#expire();
      void this.syncNow().finally(() => this.#schedule());
    }, this.#options.intervalMs);
    this.#timer.unref();
  }

  async #sync(): Promise<void> {
    const url = new URL(this.#options.url);
    url.searchParams.set('since', String(this.#version));
    let feed: BrokerCredentialFeed;
    try {
      const response = await fetch(url, {
        headers: { authorization: `Bearer ${this.#options.token}` },
        signal: AbortSignal.any([this.#stop.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
      });
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      feed = parseFeed(await response.json());
    } catch (error) {
      if (this.#stopped) return;
      this.#failures += 1;
      const message = (error as Error).message;
      const log = { event: 'credentials-sync-failed', err: message };
      const text = `cannot sync gateway credentials from the server: ${message}; known hubs are still admitted`;
      // A broker started before the server fails its first polls: worth a warning only once stale.
      const since = this.#lastSync ?? this.#startedAt;
      if (!this.#warnedStale && this.#options.now() - since > this.#options.staleAfterMs) {
        this.#warnedStale = true;
        this.#options.logger.warn(log, `${text}; the replica is stale (revocations since are not seen)`);
      } else if (this.#lastError === null) {
        this.#options.logger.info(log, text);
      }
      this.#lastError = message;
      return;
    }
    if (this.#lastError !== null) {
      this.#options.logger.info({ event: 'credentials-sync-resumed' }, 'gateway credentials sync resumed');
    }
    this.#lastError = null;
    this.#warnedStale = false;
    this.#lastSync = this.#options.now();
    if (feed.version < this.#version) {
      // The server's database was restored from an older backup: start again from nothing.
      this.#options.logger.warn(
        { event: 'credentials-feed-rewound', held: this.#version, served: feed.version },
        'the credentials feed went back in version; reloading it whole',
      );
      this.#version = 0;
      this.#replaceAll = true;
      return this.#sync();
    }
    if (feed.users.length === 0 && feed.version === this.#version) return;
    const changed = this.#apply(feed);
    await this.#save();
    if (changed.length > 0) {
      this.#options.logger.info(
        { event: 'credentials-synced', version: this.#version, changed: changed.length },
        `gateway credentials at version ${this.#version}: ${changed.length} changed`,
      );
      this.#emit(changed);
    }
  }

  #apply(feed: BrokerCredentialFeed): string[] {
    const changed: string[] = [];
    if (this.#replaceAll) {
      // The whole state from version 0: whoever it does not name may no longer connect.
      this.#replaceAll = false;
      const named = new Set(feed.users.map((user) => user.username));
      for (const username of [...this.#users.keys()]) {
        if (named.has(username)) continue;
        this.#users.delete(username);
        changed.push(username);
      }
    }
    for (const user of feed.users) {
      if (user.secrets.length === 0) this.#users.delete(user.username);
      else this.#users.set(user.username, user);
      changed.push(user.username);
    }
    this.#version = feed.version;
    this.#recomputeExpiry();
    return changed;
  }

  /** Secrets whose overlap ended since the last look: their connections are cut. */
  #expire(): void {
    const now = this.#options.now();
    if (now < this.#nextExpiry) return;
    const expired: string[] = [];
    for (const user of this.#users.values()) {
      if (user.secrets.some((s) => s.notAfter !== null && Date.parse(s.notAfter) <= now)) {
        user.secrets = user.secrets.filter((s) => s.notAfter === null || Date.parse(s.notAfter) > now);
        if (user.secrets.length === 0) this.#users.delete(user.username);
        expired.push(user.username);
      }
    }
    this.#recomputeExpiry();
    if (expired.length > 0) this.#emit(expired);
  }

  #recomputeExpiry(): void {
    let next = Infinity;
    for (const user of this.#users.values())
      for (const secret of user.secrets)
        if (secret.notAfter !== null) next = Math.min(next, Date.parse(secret.notAfter));
    this.#nextExpiry = next;
  }

  #emit(usernames: readonly string[]): void {
    for (const listener of this.#listeners) {
      try {
        listener(usernames);
      } catch (error) {
        this.#options.logger.error({ err: error }, 'credential change listener failed');
      }
    }
  }

  async #load(): Promise<void> {
    const file = this.#options.file;
    if (file === null) return;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      const feed = parseFeed(JSON.parse(text));
      this.#apply(feed);
      this.#options.logger.info(
        { event: 'credentials-loaded', version: feed.version, users: this.#users.size },
        `loaded ${this.#users.size} gateway credentials (version ${feed.version}) kept from the last sync`,
      );
    } catch (error) {
      // A damaged copy is only a cache: the feed gives everything again from version 0.
      this.#options.logger.warn(
        { event: 'credentials-file-invalid', file, err: (error as Error).message },
        `ignoring the kept gateway credentials in ${file}: ${(error as Error).message}`,
      );
    }
  }

  async #save(): Promise<void> {
    const file = this.#options.file;
    if (file === null) return;
    const body: BrokerCredentialFeed = { version: this.#version, users: [...this.#users.values()] };
    const temporary = `${file}.${randomUUID()}.tmp`;
    try {
      await writeFile(temporary, JSON.stringify(body), { mode: 0o600 });
      await chmod(temporary, 0o600);
      await rename(temporary, file);
    } catch (error) {
      this.#options.logger.error(
        { event: 'credentials-save-failed', file, err: (error as Error).message },
        `cannot keep the gateway credentials in ${file}: ${(error as Error).message}`,
      );
    }
  }
}

function parseFeed(json: unknown): BrokerCredentialFeed {
  const feed = json as BrokerCredentialFeed;
  if (
    typeof feed !== 'object' ||
    feed === null ||
    !Number.isSafeInteger(feed.version) ||
    !Array.isArray(feed.users)
  ) {
    throw new Error('the credentials feed is not { version, users }');
  }
  for (const user of feed.users) {
    if (
      typeof user?.username !== 'string' ||
      typeof user.site !== 'string' ||
      typeof user.gateway !== 'string' ||
      !isTopicSegment(user.site) ||
      !isTopicSegment(user.gateway) ||
      // The same rules as the users file: a gateway's client ids are its user name (+ ':suffix').
      user.username.includes(CLIENT_ID_SUFFIX_SEPARATOR) ||
      user.username.startsWith(SERVER_CLIENT_ID_PREFIX) ||
      !Array.isArray(user.secrets) ||
      !user.secrets.every(
        (s) =>
          typeof s?.hash === 'string' &&
          isKitSecretHash(s.hash) &&
          (s.notAfter === null || !Number.isNaN(Date.parse(s.notAfter))),
      )
    ) {
      throw new Error('the credentials feed holds a malformed user');
    }
  }
  return feed;
}
