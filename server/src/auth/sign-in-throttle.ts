import type { SignInEvent, SignInEventQuery, SignInLock, SignInOutcome } from '@wardline/protocol';
import type { SqlDatabase } from '../db/engines/engine.js';

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

/** Thrown inside an admission's transaction to take back what it counted: a key is locked. */
class Locked extends Error {}

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
 * Sign-in throttling, in the database so that it holds across restarts and replicas. Each attempt
 * is counted as a failure when it is admitted, before its (slow) password check: parallel guesses
 * cannot all slip in before the first of them is counted. A success then takes its own count back.
 * Counts move by one in the database itself (an upsert's increment, an update's decrement), so
 * that attempts admitted at once by several replicas are all counted.
 */
export function createSignInThrottle(
  sql: SqlDatabase,
  options: { user?: ThrottlePolicy; address?: ThrottlePolicy; now?: () => number } = {},
) {
  const policies: Record<Kind, ThrottlePolicy> = {
    user: options.user ?? USER_POLICY,
    address: options.address ?? ADDRESS_POLICY,
  };
  const now = options.now ?? Date.now;
  const columns = `key, failures, last_failure_at AS "lastFailureAt", locked_until AS "lockedUntil"`;
  const remove = `DELETE FROM sign_in_throttle WHERE key = ?`;
  let insertsSincePrune = 0;

  /** Counts one attempt against every key, in one transaction; refused (nothing counted) when a key is locked. */
  async function admit(username: string, address: string | null): Promise<Admission> {
    const at = now();
    const atIso = new Date(at).toISOString();
    const keys: [Kind, string][] = [['user', keyOf('user', username)]];
    if (address) keys.push(['address', keyOf('address', address)]);
    try {
      return await sql.transaction(async (): Promise<Admission> => {
        for (const [kind, key] of keys) {
          const policy = policies[kind];
          // The lock decides in the upsert itself: a locked key's row is left as it is and returns
          // nothing. Concurrent attempts (on any replica) queue on the row and each sees the last
          // one's count and lock. Failures are forgotten after a quiet period without a lock.
          const counted = await sql.get<{ failures: number }>(
            `INSERT INTO sign_in_throttle (key, failures, last_failure_at, locked_until) VALUES (?, 1, ?, NULL)
             ON CONFLICT (key) DO UPDATE SET
               failures = CASE
                 WHEN (sign_in_throttle.locked_until IS NULL OR sign_in_throttle.locked_until <= ?)
                   AND sign_in_throttle.last_failure_at < ? THEN 1
                 ELSE sign_in_throttle.failures + 1 END,
               last_failure_at = excluded.last_failure_at, locked_until = NULL
             WHERE sign_in_throttle.locked_until IS NULL OR sign_in_throttle.locked_until <= ?
             RETURNING failures`,
            [key, atIso, atIso, new Date(at - policy.resetAfterMs).toISOString(), atIso],
          );
          if (!counted) throw new Locked();
          const lock = lockDuration(policy, counted.failures);
          if (lock !== null)
            await sql.run(`UPDATE sign_in_throttle SET locked_until = ? WHERE key = ?`, [
              new Date(at + lock).toISOString(),
              key,
            ]);
        }
        return { admitted: true, ticket: { userKey: keys[0]![1], addressKey: keys[1]?.[1] ?? null } };
      });
    } catch (error) {
      if (!(error instanceof Locked)) throw error;
    }
    let refusal: { kind: Kind; retryAfterMs: number } | null = null;
    for (const [kind, key] of keys) {
      const row = await sql.get<ThrottleRow>(`SELECT ${columns} FROM sign_in_throttle WHERE key = ?`, [key]);
      const remaining = (row?.lockedUntil ? Date.parse(row.lockedUntil) : 0) - at;
      if (remaining > 0 && (!refusal || remaining > refusal.retryAfterMs))
        refusal = { kind, retryAfterMs: remaining };
    }
    // The lock ended between the two reads of the clock's instant: count the attempt after all.
    return refusal ? { admitted: false, ...refusal } : admit(username, address);
  }

  async function succeed(ticket: { userKey: string; addressKey: string | null }): Promise<void> {
    await sql.run(remove, [ticket.userKey]);
    if (!ticket.addressKey) return;
    const row = await sql.get<{ failures: number }>(
      `UPDATE sign_in_throttle SET failures = failures - 1 WHERE key = ? RETURNING failures`,
      [ticket.addressKey],
    );
    if (!row) return;
    if (row.failures <= 0) {
      await sql.run(`DELETE FROM sign_in_throttle WHERE key = ? AND failures <= 0`, [ticket.addressKey]);
      return;
    }
    // A lock this very attempt set is taken back with it.
    if (lockDuration(policies.address, row.failures) === null)
      await sql.run(`UPDATE sign_in_throttle SET locked_until = NULL WHERE key = ?`, [ticket.addressKey]);
  }

  return {
    policies,

    /** Call before checking the password; a refused attempt must not be checked at all. */
    admit(username: string, address: string | null): Promise<Admission> {
      return admit(username, address);
    },

    /** The password was right: this attempt was not a guess after all. */
    succeeded(ticket: { userKey: string; addressKey: string | null }): Promise<void> {
      return sql.transaction(() => succeed(ticket));
    },

    async record(event: {
      username: string;
      address: string | null;
      outcome: SignInOutcome;
      code: string | null;
    }): Promise<void> {
      const at = now();
      await sql.run(
        `INSERT INTO sign_in_events (at, username, address, outcome, code) VALUES (?, ?, ?, ?, ?)`,
        [new Date(at).toISOString(), event.username, event.address, event.outcome, event.code],
      );
      if (++insertsSincePrune >= PRUNE_EVERY) {
        insertsSincePrune = 0;
        await sql.run(
          `DELETE FROM sign_in_events WHERE at < ? OR id <= (SELECT max(id) FROM sign_in_events) - ?`,
          [new Date(at - EVENT_DAYS_KEPT * 86_400_000).toISOString(), EVENTS_KEPT],
        );
        const quiet = Math.max(policies.user.resetAfterMs, policies.address.resetAfterMs);
        await sql.run(
          `DELETE FROM sign_in_throttle
            WHERE (locked_until IS NULL OR locked_until < ?) AND last_failure_at < ?`,
          [new Date(at).toISOString(), new Date(at - quiet).toISOString()],
        );
      }
    },

    /** Keys locked now. */
    async locks(): Promise<SignInLock[]> {
      const rows = await sql.all<ThrottleRow>(
        `SELECT ${columns} FROM sign_in_throttle WHERE locked_until > ? ORDER BY locked_until DESC`,
        [new Date(now()).toISOString()],
      );
      return rows.map((row) => ({
        ...subjectOf(row.key),
        failures: row.failures,
        lastFailureAt: row.lastFailureAt,
        lockedUntil: row.lockedUntil,
      }));
    },

    /** Lifts a lock and forgets the failures behind it. False if nothing was counted. */
    async lift(kind: Kind, subject: string): Promise<boolean> {
      return (await sql.run(remove, [keyOf(kind, subject)])).changes > 0;
    },

    async events(query: SignInEventQuery): Promise<SignInEvent[]> {
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
      return sql.all<SignInEvent>(
        `SELECT id, at, username, address, outcome, code FROM sign_in_events
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
        [...params, query.limit],
      );
    },
  };
}
export type SignInThrottle = ReturnType<typeof createSignInThrottle>;
