import type { SignInEvent, SignInEventQuery, SignInLock, SignInOutcome } from '@wardline/protocol';
import type { Db } from '../db/database.js';

/** When failures on one key (a user name or a client address) lead to a lock, and for how long. */
export interface ThrottlePolicy {
  /** The attempt that brings the failures to this number locks the key for the following ones. */
  threshold: number;
  /** The first lock; each further failure doubles it, up to maxLockMs. */
  baseLockMs: number;
  maxLockMs: number;
  /** Failures are forgotten after this long without one (and without a lock in force). */
  resetAfterMs: number;
}

/**
 * Per user name: few guesses, and a user's own successful sign-in clears them. Per address: more
 * (a care home's staff share one address), and a success does not clear the others' failures, so
 * that one valid account cannot launder a spray of guesses against other names.
 */
export const USER_POLICY: ThrottlePolicy = {
  threshold: 5,
  baseLockMs: 60_000,
  maxLockMs: 3_600_000,
  resetAfterMs: 24 * 3_600_000,
};
export const ADDRESS_POLICY: ThrottlePolicy = {
  threshold: 20,
  baseLockMs: 60_000,
  maxLockMs: 3_600_000,
  resetAfterMs: 3_600_000,
};

/** Bounds on the audit trail: an attacker's stream of attempts must not fill the disk. */
const EVENTS_KEPT = 100_000;
const EVENT_DAYS_KEPT = 90;
const PRUNE_EVERY = 1000;

type Kind = SignInLock['kind'];

interface ThrottleRow {
  key: string;
  failures: number;
  lastFailureAt: string;
  lockedUntil: string | null;
}

/** Admission for one attempt: its failure is counted before the password is checked. */
export type Admission =
  | { admitted: true; ticket: { userKey: string; addressKey: string | null } }
  | { admitted: false; kind: Kind; retryAfterMs: number };

const keyOf = (kind: Kind, subject: string) => `${kind}:${subject}`;
const subjectOf = (key: string): { kind: Kind; subject: string } => {
  const at = key.indexOf(':');
  return { kind: key.slice(0, at) as Kind, subject: key.slice(at + 1) };
};

export function lockDuration(policy: ThrottlePolicy, failures: number): number | null {
  if (failures < policy.threshold) return null;
  const doublings = Math.min(30, failures - policy.threshold);
  return Math.min(policy.maxLockMs, policy.baseLockMs * 2 ** doublings);
}

/**
 * Sign-in throttling, in SQLite so that it holds across restarts. Each attempt is counted as a
 * failure when it is admitted, before its (slow) password check: parallel guesses cannot all slip
 * in before the first of them is counted. A success then takes its own count back.
 */
export function createSignInThrottle(
  db: Db,
  options: { user?: ThrottlePolicy; address?: ThrottlePolicy; now?: () => number } = {},
) {
  const policies: Record<Kind, ThrottlePolicy> = {
    user: options.user ?? USER_POLICY,
    address: options.address ?? ADDRESS_POLICY,
  };
  const now = options.now ?? Date.now;
  const get = db.prepare(
    `SELECT key, failures, last_failure_at AS lastFailureAt, locked_until AS lockedUntil
       FROM sign_in_throttle WHERE key = ?`,
  );
  const put = db.prepare(
    `INSERT INTO sign_in_throttle (key, failures, last_failure_at, locked_until) VALUES (?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,
       last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until`,
  );
  const remove = db.prepare(`DELETE FROM sign_in_throttle WHERE key = ?`);
  const listRows = db.prepare(
    `SELECT key, failures, last_failure_at AS lastFailureAt, locked_until AS lockedUntil
       FROM sign_in_throttle WHERE locked_until > ? ORDER BY locked_until DESC`,
  );
  const insertEvent = db.prepare(
    `INSERT INTO sign_in_events (at, username, address, outcome, code) VALUES (?, ?, ?, ?, ?)`,
  );
  const pruneEvents = db.prepare(
    `DELETE FROM sign_in_events WHERE at < ? OR id <= (SELECT max(id) FROM sign_in_events) - ?`,
  );
  const pruneThrottle = db.prepare(
    `DELETE FROM sign_in_throttle
      WHERE (locked_until IS NULL OR locked_until < ?) AND last_failure_at < ?`,
  );
  let insertsSincePrune = 0;

  /** Failures still counting against a key: forgotten after a quiet period without a lock. */
  function liveFailures(row: ThrottleRow | undefined, policy: ThrottlePolicy, at: number): number {
    if (!row) return 0;
    const locked = row.lockedUntil !== null && Date.parse(row.lockedUntil) > at;
    if (!locked && at - Date.parse(row.lastFailureAt) > policy.resetAfterMs) return 0;
    return row.failures;
  }

  const admit = db.transaction((username: string, address: string | null): Admission => {
    const at = now();
    const keys: [Kind, string][] = [['user', keyOf('user', username)]];
    if (address) keys.push(['address', keyOf('address', address)]);
    const rows = keys.map(([kind, key]) => ({ kind, key, row: get.get(key) as ThrottleRow | undefined }));
    let refusal: { kind: Kind; retryAfterMs: number } | null = null;
    for (const { kind, row } of rows) {
      const remaining = (row?.lockedUntil ? Date.parse(row.lockedUntil) : 0) - at;
      if (remaining > 0 && (!refusal || remaining > refusal.retryAfterMs))
        refusal = { kind, retryAfterMs: remaining };
    }
    if (refusal) return { admitted: false, ...refusal };
    for (const { kind, key, row } of rows) {
      const failures = liveFailures(row, policies[kind], at) + 1;
      const lock = lockDuration(policies[kind], failures);
      put.run(
        key,
        failures,
        new Date(at).toISOString(),
        lock === null ? null : new Date(at + lock).toISOString(),
      );
    }
    return { admitted: true, ticket: { userKey: keys[0]![1], addressKey: keys[1]?.[1] ?? null } };
  });

  const succeed = db.transaction((ticket: { userKey: string; addressKey: string | null }) => {
    remove.run(ticket.userKey);
    if (!ticket.addressKey) return;
    const row = get.get(ticket.addressKey) as ThrottleRow | undefined;
    if (!row) return;
    const failures = row.failures - 1;
    if (failures <= 0) return void remove.run(ticket.addressKey);
    const lock = lockDuration(policies.address, failures);
    put.run(
      ticket.addressKey,
      failures,
      row.lastFailureAt,
      lock === null ? null : row.lockedUntil, // a lock this very attempt set is taken back with it
    );
  });

  return {
    policies,

    /** Call before checking the password; a refused attempt must not be checked at all. */
    admit(username: string, address: string | null): Admission {
      return admit(username, address);
    },

    /** The password was right: this attempt was not a guess after all. */
    succeeded(ticket: { userKey: string; addressKey: string | null }): void {
      succeed(ticket);
    },

    record(event: {
      username: string;
      address: string | null;
      outcome: SignInOutcome;
      code: string | null;
    }): void {
      const at = now();
      insertEvent.run(new Date(at).toISOString(), event.username, event.address, event.outcome, event.code);
      if (++insertsSincePrune >= PRUNE_EVERY) {
        insertsSincePrune = 0;
        pruneEvents.run(new Date(at - EVENT_DAYS_KEPT * 86_400_000).toISOString(), EVENTS_KEPT);
        const quiet = Math.max(policies.user.resetAfterMs, policies.address.resetAfterMs);
        pruneThrottle.run(new Date(at).toISOString(), new Date(at - quiet).toISOString());
      }
    },

    /** Keys locked now. */
    locks(): SignInLock[] {
      return (listRows.all(new Date(now()).toISOString()) as ThrottleRow[]).map((row) => ({
        ...subjectOf(row.key),
        failures: row.failures,
        lastFailureAt: row.lastFailureAt,
        lockedUntil: row.lockedUntil,
      }));
    },

    /** Lifts a lock and forgets the failures behind it. False if nothing was counted. */
    lift(kind: Kind, subject: string): boolean {
      return remove.run(keyOf(kind, subject)).changes > 0;
    },

    events(query: SignInEventQuery): SignInEvent[] {
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (query.username) {
        where.push('username = ?');
        params.push(query.username);
      }
      if (query.before) {
        where.push('id < ?');
        params.push(query.before);
      }
      return db
        .prepare(
          `SELECT id, at, username, address, outcome, code FROM sign_in_events
           ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
        )
        .all(...params, query.limit) as SignInEvent[];
    },
  };
}
export type SignInThrottle = ReturnType<typeof createSignInThrottle>;
