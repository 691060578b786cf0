import type { Role, SecondFactorState, SessionUser, StaffAccount, UserAccount } from '@wardline/protocol';
import { createHash, randomBytes } from 'node:crypto';
import type { SqlDatabase } from '../db/engines/engine.js';

export interface UserRecord extends SessionUser {
  /** Null: invited and not yet set, or an account that signs in only through an identity provider. */
  passwordHash: string | null;
  /** For family members: the one person whose information they may see. */
  patientId: string | null;
  disabledAt: string | null;
  email: string | null;
  /** Sealed (see secret-box.ts); set at enrolment, in force once totpEnabledAt is set. */
  totpSecret: string | null;
  totpEnabledAt: string | null;
}

/** An account created without a password (invited, or signing in through an identity provider). */
export interface NewAccount {
  username: string;
  role: Exclude<Role, 'family'>;
  displayName: string;
  email: string | null;
  /** Null only for an operator. */
  organisationId: string | null;
  wardIds?: string[] | null;
  createdBy: string;
}

export interface AuthenticatedUser extends SessionUser {
  patientId: string | null;
}

/** A live session: who, which session (by the hash of its token), and until when. */
export interface Session {
  user: AuthenticatedUser;
  tokenHash: string;
  expiresAt: string;
  /** When it ends if unused: the idle timeout from its last use. */
  idleExpiresAt: string;
  secondFactor: SecondFactorState;
}

/** How long sessions live: from their last use (idle) and from sign-in (absolute). */
export interface SessionPolicy {
  idleMs: number;
  maxMs: number;
}

/**
 * Defaults: 12 hours absolute (a long shift), 60 minutes idle. A dashboard with its live connection
 * open counts as in use (the realtime hub touches its session), so a ward wallboard is never signed
 * out for idleness: that would silently stop its alerts. Idle timeout catches abandoned sessions.
 */
export const DEFAULT_SESSION_POLICY: SessionPolicy = { idleMs: 60 * 60_000, maxMs: 12 * 3600_000 };

/** A session's last use is written at most this often, not on every request. */
const TOUCH_EVERY_MS = 60_000;

/** Sessions that ended before their expiry: one by sign-out, or all of a user's when disabled. */
export type SessionsEnded = { tokenHash: string } | { username: string };

/** The default absolute lifetime in hours; the configured one is users.sessionPolicy.maxMs. */
export const SESSION_HOURS = DEFAULT_SESSION_POLICY.maxMs / 3600_000;

/** Where records from before organisations live, and the demo's organisation. */
export const DEFAULT_ORGANISATION_ID = 'org-default';

function parseWardIds(json: string | null): string[] | null {
  return json === null ? null : (JSON.parse(json) as string[]);
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function createUserRepository(sql: SqlDatabase, policy: SessionPolicy = DEFAULT_SESSION_POLICY) {
  // A ward-limited user's wards as a JSON array; NULL: every ward of the organisation.
  const wardIdsOf = (alias: string) =>
    `(SELECT ${sql.dialect.jsonGroupArray('ward_id')} FROM user_wards uw WHERE uw.username = ${alias}.username
        HAVING count(*) > 0) AS "wardIdsJson"`;
  const byName = `SELECT u.username, u.password_hash AS "passwordHash", u.role, u.display_name AS "displayName",
            u.organisation_id AS "organisationId", u.patient_id AS "patientId", u.disabled_at AS "disabledAt",
            u.email, u.totp_secret AS "totpSecret", u.totp_enabled_at AS "totpEnabledAt", ${wardIdsOf('u')}
       FROM users u WHERE u.username = ?`;
  const bySession = `SELECT u.username, u.role, u.display_name AS "displayName", u.organisation_id AS "organisationId",
            u.patient_id AS "patientId", ${wardIdsOf('u')}, s.expires_at AS "expiresAt",
            s.last_seen_at AS "lastSeenAt", s.second_factor AS "secondFactor"
       FROM sessions s JOIN users u ON u.username = s.username
      WHERE s.token_hash = ? AND s.expires_at > ? AND s.last_seen_at > ? AND u.disabled_at IS NULL`;
  const accountColumns = `username, role, display_name AS "displayName", disabled_at AS "disabledAt"`;
  const setSecondFactor = `UPDATE sessions SET second_factor = ? WHERE token_hash = ?`;
  const insertUserWard = `INSERT INTO user_wards (username, ward_id) VALUES (?, ?)`;

  const listeners = new Set<(ended: SessionsEnded) => void>();
  const announce = (ended: SessionsEnded) => {
    for (const listener of listeners) listener(ended);
  };

  const idleCutoff = (now: Date) => new Date(now.getTime() - policy.idleMs).toISOString();

  /** A live session (not ended, expired, idle or disabled); its use is recorded at most once a minute. */
  async function sessionForHash(tokenHash: string, now: Date): Promise<Session | undefined> {
    const row = await sql.get<
      Omit<AuthenticatedUser, 'wardIds'> & {
        wardIdsJson: string | null;
        expiresAt: string;
        lastSeenAt: string;
        secondFactor: SecondFactorState;
      }
    >(bySession, [tokenHash, now.toISOString(), idleCutoff(now)]);
    if (!row) return undefined;
    const { expiresAt, wardIdsJson, lastSeenAt, secondFactor, ...rest } = row;
    let seen = Date.parse(lastSeenAt);
    if (now.getTime() - seen >= TOUCH_EVERY_MS) {
      await sql.run(`UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`, [
        now.toISOString(),
        tokenHash,
      ]);
      seen = now.getTime();
    }
    const idleExpiresAt = new Date(Math.min(seen + policy.idleMs, Date.parse(expiresAt))).toISOString();
    return {
      user: { ...rest, wardIds: parseWardIds(wardIdsJson) },
      tokenHash,
      expiresAt,
      idleExpiresAt,
      secondFactor,
    };
  }

  /**
   * Ends expired and idle sessions, announcing each so that their live connections are cut. One
   * DELETE ... RETURNING: of replicas sweeping at once, each announces only the sessions it ended.
   */
  async function sweepSessions(now: Date): Promise<number> {
    const dead = await sql.all<{ tokenHash: string }>(
      `DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ? RETURNING token_hash AS "tokenHash"`,
      [now.toISOString(), idleCutoff(now)],
    );
    for (const { tokenHash } of dead) announce({ tokenHash });
    return dead.length;
  }

  async function find(username: string): Promise<UserRecord | undefined> {
    const row = await sql.get<Omit<UserRecord, 'wardIds'> & { wardIdsJson: string | null }>(byName, [
      username,
    ]);
    if (!row) return undefined;
    const { wardIdsJson, ...rest } = row;
    return { ...rest, wardIds: parseWardIds(wardIdsJson) };
  }

  /**
   * A new account with no password: invited (it sets one through a one-time link) or federated (it
   * signs in through an identity provider). False when the user name or e-mail is taken.
   */
  async function createAccount(user: NewAccount): Promise<boolean> {
    try {
      await sql.transaction(async () => {
        await sql.run(
          `INSERT INTO users (username, password_hash, role, display_name, email, organisation_id, created_at, created_by)
           VALUES (?, NULL, ?, ?, ?, ?, ?, ?)`,
          [
            user.username,
            user.role,
            user.displayName,
            user.email?.toLowerCase() ?? null,
            user.role === 'operator' ? null : user.organisationId,
            new Date().toISOString(),
            user.createdBy,
          ],
        );
        for (const wardId of user.wardIds ?? []) await sql.run(insertUserWard, [user.username, wardId]);
      });
      return true;
    } catch (error) {
      if (sql.constraintViolated(error) !== null) return false;
      throw error;
    }
  }

  return {
    find,

    async list(): Promise<UserAccount[]> {
      return sql.all<UserAccount>(`SELECT ${accountColumns} FROM users ORDER BY username`);
    },

    async account(username: string): Promise<UserAccount | undefined> {
      return sql.get<UserAccount>(`SELECT ${accountColumns} FROM users WHERE username = ?`, [username]);
    },

    /**
     * A stored hash to check a password against when the name is unknown: same scheme and cost as a
     * real user's, so that the answer takes as long and reveals nothing about which names exist.
     */
    async passwordHashSample(): Promise<string | undefined> {
      const row = await sql.get<{ passwordHash: string }>(
        `SELECT password_hash AS "passwordHash" FROM users WHERE password_hash IS NOT NULL
          ORDER BY created_at, username LIMIT 1`,
      );
      return row?.passwordHash;
    },

    async upsert(user: {
      username: string;
      passwordHash: string | null;
      role: Role;
      displayName: string;
      /** Required for everyone but operators; the default organisation when left out. */
      organisationId?: string | null;
      patientId?: string | null;
      email?: string | null;
      createdBy?: string;
    }): Promise<void> {
      const organisationId =
        user.role === 'operator' ? null : (user.organisationId ?? DEFAULT_ORGANISATION_ID);
      await sql.run(
        `INSERT INTO users (username, password_hash, role, display_name, organisation_id, patient_id, email,
                            created_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role,
           display_name = excluded.display_name, organisation_id = excluded.organisation_id,
           patient_id = excluded.patient_id, email = excluded.email`,
        [
          user.username,
          user.passwordHash,
          user.role,
          user.displayName,
          organisationId,
          user.patientId ?? null,
          user.email ?? null,
          new Date().toISOString(),
          user.createdBy ?? 'system',
        ],
      );
    },

    async setPassword(username: string, passwordHash: string): Promise<boolean> {
      const { changes } = await sql.run(`UPDATE users SET password_hash = ? WHERE username = ?`, [
        passwordHash,
        username,
      ]);
      return changes > 0;
    },

    sessionPolicy: policy,

    /** Returns a new bearer token; only its hash is stored. */
    async createSession(
      username: string,
      now = new Date(),
      secondFactor: SecondFactorState = 'none',
    ): Promise<string> {
      const token = randomBytes(32).toString('base64url');
      const expires = new Date(now.getTime() + policy.maxMs);
      await sweepSessions(now);
      await sql.run(
        `INSERT INTO sessions (token_hash, username, created_at, expires_at, last_seen_at, second_factor)
         VALUES (?, ?, ?, ?, ?, ?)`,
        [
          hashToken(token),
          username,
          now.toISOString(),
          expires.toISOString(),
          now.toISOString(),
          secondFactor,
        ],
      );
      return token;
    },

    /** After TOTP enrolment: the session may do everything its role allows. */
    async setSessionSecondFactor(tokenHash: string, secondFactor: SecondFactorState): Promise<void> {
      await sql.run(setSecondFactor, [secondFactor, tokenHash]);
    },

    sweepSessions(now = new Date()): Promise<number> {
      return sweepSessions(now);
    },

    /**
     * Cuts a user's live connections but keeps their sessions: after their wards were narrowed, a
     * connection must not go on receiving a ward it may no longer see; a reconnect gets the new wards.
     */
    cutLiveConnections(username: string): void {
      announce({ username });
    },

    /** Ends every session of a user (password reset, second factor reset), cutting live connections. */
    async endUserSessions(username: string): Promise<void> {
      await sql.run(`DELETE FROM sessions WHERE username = ?`, [username]);
      announce({ username });
    },

    async userForToken(token: string, now = new Date()): Promise<AuthenticatedUser | undefined> {
      return (await sessionForHash(hashToken(token), now))?.user;
    },

    sessionForToken(token: string, now = new Date()): Promise<Session | undefined> {
      return sessionForHash(hashToken(token), now);
    },

    /** The session behind a token hash, if it is still live (not ended, expired or disabled). */
    sessionForHash(tokenHash: string, now = new Date()): Promise<Session | undefined> {
      return sessionForHash(tokenHash, now);
    },

    async endSession(token: string): Promise<void> {
      const tokenHash = hashToken(token);
      await sql.run(`DELETE FROM sessions WHERE token_hash = ?`, [tokenHash]);
      announce({ tokenHash });
    },

    /** Disables the account and ends all its sessions. False when there is no such user. */
    async disable(username: string, at = new Date()): Promise<boolean> {
      const changed = await sql.transaction(async () => {
        const { changes } = await sql.run(
          `UPDATE users SET disabled_at = coalesce(disabled_at, ?) WHERE username = ?`,
          [at.toISOString(), username],
        );
        if (changes === 0) return false;
        await sql.run(`DELETE FROM sessions WHERE username = ?`, [username]);
        return true;
      });
      if (changed) announce({ username });
      return changed;
    },

    async enable(username: string): Promise<boolean> {
      const { changes } = await sql.run(`UPDATE users SET disabled_at = NULL WHERE username = ?`, [username]);
      return changes > 0;
    },

    createAccount,

    /** For sign-in through an identity provider: the account and its link to the provider's subject. */
    async createFederated(user: NewAccount, identity: { issuer: string; subject: string }): Promise<boolean> {
      return sql.transaction(async () => {
        if (!(await createAccount(user))) return false;
        await sql.run(
          `INSERT INTO federated_identities (issuer, subject, username, linked_at) VALUES (?, ?, ?, ?)`,
          [identity.issuer, identity.subject, user.username, new Date().toISOString()],
        );
        return true;
      });
    },

    /** The user signing in through an identity provider's subject, if linked. */
    async findFederated(issuer: string, subject: string): Promise<UserRecord | undefined> {
      const row = await sql.get<{ username: string }>(
        `SELECT username FROM federated_identities WHERE issuer = ? AND subject = ?`,
        [issuer, subject],
      );
      return row && find(row.username);
    },

    /**
     * A federated account follows its identity provider's claims at each sign-in. Ward limits belong
     * to one organisation, so they go when the organisation changes; an e-mail another account
     * holds is left as it was.
     */
    async refreshFederated(
      username: string,
      claims: { role: Role; organisationId: string; displayName: string; email: string | null },
    ): Promise<void> {
      await sql.transaction(async () => {
        const before = await sql.get<{ organisationId: string | null }>(
          `SELECT organisation_id AS "organisationId" FROM users WHERE username = ?`,
          [username],
        );
        if (before && before.organisationId !== claims.organisationId)
          await sql.run(`DELETE FROM user_wards WHERE username = ?`, [username]);
        await sql.run(`UPDATE users SET role = ?, organisation_id = ?, display_name = ? WHERE username = ?`, [
          claims.role,
          claims.organisationId,
          claims.displayName,
          username,
        ]);
        const email = claims.email?.toLowerCase() ?? null;
        const taken = email
          ? await sql.get(`SELECT 1 AS taken FROM users WHERE lower(email) = ? AND username <> ?`, [
              email,
              username,
            ])
          : undefined;
        if (email && !taken)
          await sql.run(`UPDATE users SET email = ? WHERE username = ?`, [email, username]);
      });
    },

    /**
     * The first free user name from a stem (an e-mail's local part): stem, stem2, stem3, ... Only a
     * suggestion: the account's primary key decides when two take the same name at once.
     */
    async freeUsername(stem: string): Promise<string> {
      const base =
        stem
          .toLowerCase()
          .replace(/[^a-z0-9._-]+/g, '')
          .replace(/^[._-]+|[._-]+$/g, '')
          .slice(0, 60) || 'user';
      for (let n = 1; ; n++) {
        const candidate = n === 1 ? base : `${base}${n}`;
        if (!(await sql.get(`SELECT 1 AS taken FROM users WHERE username = ?`, [candidate])))
          return candidate;
      }
    },

    /** Clears the password: a reset link sets a new one; until then nobody can sign in with the old. */
    async clearPassword(username: string): Promise<void> {
      await sql.run(`UPDATE users SET password_hash = NULL WHERE username = ?`, [username]);
    },

    /** Enrolment: the (sealed) secret, not yet in force until confirmed with a code. */
    async setPendingTotp(username: string, sealedSecret: string): Promise<void> {
      await sql.run(`UPDATE users SET totp_secret = ?, totp_enabled_at = NULL WHERE username = ?`, [
        sealedSecret,
        username,
      ]);
    },

    async enableTotp(username: string, at = new Date()): Promise<void> {
      await sql.run(`UPDATE users SET totp_enabled_at = ? WHERE username = ? AND totp_secret IS NOT NULL`, [
        at.toISOString(),
        username,
      ]);
    },

    /** An administrator's reset of a lost second factor. */
    async clearTotp(username: string): Promise<boolean> {
      const { changes } = await sql.run(
        `UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL WHERE username = ?`,
        [username],
      );
      return changes > 0;
    },

    /** Staff of an organisation (never family, never the hash), or one of them. */
    async staff(organisationId: string | null, username?: string): Promise<StaffAccount[]> {
      const rows = await sql.all<
        Omit<StaffAccount, 'wardIds' | 'federated' | 'pending' | 'totpEnabled'> & {
          wardIdsJson: string | null;
          federatedJson: string;
          totpEnabled: number;
          noPassword: number;
        }
      >(
        `SELECT u.username, u.display_name AS "displayName", u.email, u.role, u.organisation_id AS "organisationId",
                ${wardIdsOf('u')}, u.disabled_at AS "disabledAt", u.created_at AS "createdAt",
                CASE WHEN u.totp_enabled_at IS NOT NULL THEN 1 ELSE 0 END AS "totpEnabled",
                CASE WHEN u.password_hash IS NULL THEN 1 ELSE 0 END AS "noPassword",
                (SELECT ${sql.dialect.jsonGroupArray('issuer')} FROM federated_identities f
                  WHERE f.username = u.username) AS "federatedJson"
           FROM users u
          WHERE u.organisation_id IS NOT DISTINCT FROM ? AND u.role <> 'family' ${username ? 'AND u.username = ?' : ''}
          ORDER BY u.username`,
        [organisationId, ...(username ? [username] : [])],
      );
      return rows.map(({ wardIdsJson, federatedJson, totpEnabled, noPassword, ...row }) => {
        const federated = JSON.parse(federatedJson) as string[];
        return {
          ...row,
          wardIds: parseWardIds(wardIdsJson),
          pending: noPassword === 1 && federated.length === 0,
          totpEnabled: totpEnabled === 1,
          federated,
        };
      });
    },

    /** Accounts of an organisation as the older /api/users shows them (family members included). */
    async accountsOf(organisationId: string | null): Promise<UserAccount[]> {
      return sql.all<UserAccount>(
        `SELECT ${accountColumns} FROM users WHERE organisation_id IS NOT DISTINCT FROM ? ORDER BY username`,
        [organisationId],
      );
    },

    async updateStaff(
      username: string,
      change: { displayName?: string; role?: Role; wardIds?: string[] | null },
    ): Promise<void> {
      await sql.transaction(async () => {
        if (change.displayName !== undefined)
          await sql.run(`UPDATE users SET display_name = ? WHERE username = ?`, [
            change.displayName,
            username,
          ]);
        if (change.role !== undefined)
          await sql.run(`UPDATE users SET role = ? WHERE username = ?`, [change.role, username]);
        if (change.wardIds !== undefined) {
          await sql.run(`DELETE FROM user_wards WHERE username = ?`, [username]);
          for (const wardId of change.wardIds ?? []) await sql.run(insertUserWard, [username, wardId]);
        }
      });
    },

    /** Admins of an organisation who may still sign in (enabled), for last-admin protection. */
    async activeAdmins(organisationId: string): Promise<string[]> {
      const rows = await sql.all<{ username: string }>(
        `SELECT username FROM users WHERE organisation_id = ? AND role = 'admin' AND disabled_at IS NULL`,
        [organisationId],
      );
      return rows.map((row) => row.username);
    },

    /** Called whenever sessions end early, so that live connections of those sessions can be cut. */
    onSessionsEnded(listener: (ended: SessionsEnded) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
export type UserRepository = ReturnType<typeof createUserRepository>;
