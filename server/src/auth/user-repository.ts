import type { Role, SecondFactorState, SessionUser, StaffAccount, UserAccount } from '@wardline/protocol';
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/database.js';

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

export function createUserRepository(db: Db, policy: SessionPolicy = DEFAULT_SESSION_POLICY) {
  // A ward-limited user's wards as a JSON array; NULL: every ward of the organisation.
  const wardIdsOf = (alias: string) =>
    `(SELECT json_group_array(ward_id) FROM user_wards uw WHERE uw.username = ${alias}.username
        HAVING count(*) > 0) AS wardIdsJson`;
  const byName = db.prepare(
    `SELECT u.username, u.password_hash AS passwordHash, u.role, u.display_name AS displayName,
            u.organisation_id AS organisationId, u.patient_id AS patientId, u.disabled_at AS disabledAt,
            u.email, u.totp_secret AS totpSecret, u.totp_enabled_at AS totpEnabledAt, ${wardIdsOf('u')}
       FROM users u WHERE u.username = ?`,
  );
  const bySession = db.prepare(
    `SELECT u.username, u.role, u.display_name AS displayName, u.organisation_id AS organisationId,
            u.patient_id AS patientId, ${wardIdsOf('u')}, s.expires_at AS expiresAt,
            s.last_seen_at AS lastSeenAt, s.second_factor AS secondFactor
       FROM sessions s JOIN users u ON u.username = s.username
      WHERE s.token_hash = ? AND s.expires_at > ? AND s.last_seen_at > ? AND u.disabled_at IS NULL`,
  );
  const accountColumns = `username, role, display_name AS displayName, disabled_at AS disabledAt`;
  const listAll = db.prepare(`SELECT ${accountColumns} FROM users ORDER BY username`);
  const accountByName = db.prepare(`SELECT ${accountColumns} FROM users WHERE username = ?`);
  const anyHash = db.prepare(
    `SELECT password_hash AS passwordHash FROM users WHERE password_hash IS NOT NULL ORDER BY rowid LIMIT 1`,
  );
  const insertSession = db.prepare(
    `INSERT INTO sessions (token_hash, username, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?)`,
  );
  const deleteSession = db.prepare(`DELETE FROM sessions WHERE token_hash = ?`);
  const deleteUserSessions = db.prepare(`DELETE FROM sessions WHERE username = ?`);
  const deadSessions = db.prepare(
    `SELECT token_hash AS tokenHash FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?`,
  );
  const touchSession = db.prepare(`UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`);
  const setSecondFactor = db.prepare(`UPDATE sessions SET second_factor = ? WHERE token_hash = ?`);
  const disableUser = db.prepare(
    `UPDATE users SET disabled_at = coalesce(disabled_at, ?) WHERE username = ?`,
  );
  const enableUser = db.prepare(`UPDATE users SET disabled_at = NULL WHERE username = ?`);
  const setPassword = db.prepare(`UPDATE users SET password_hash = ? WHERE username = ?`);

  const insertAccount = db.prepare(
    `INSERT INTO users (username, password_hash, role, display_name, email, organisation_id, created_at, created_by)
     VALUES (?, NULL, ?, ?, ?, ?, ?, ?)`,
  );
  const insertUserWard = db.prepare(`INSERT INTO user_wards (username, ward_id) VALUES (?, ?)`);

  const listeners = new Set<(ended: SessionsEnded) => void>();
  const announce = (ended: SessionsEnded) => {
    for (const listener of listeners) listener(ended);
  };

  const idleCutoff = (now: Date) => new Date(now.getTime() - policy.idleMs).toISOString();

  /** A live session (not ended, expired, idle or disabled); its use is recorded at most once a minute. */
  function sessionForHash(tokenHash: string, now: Date): Session | undefined {
    const row = bySession.get(tokenHash, now.toISOString(), idleCutoff(now)) as
      | (Omit<AuthenticatedUser, 'wardIds'> & {
          wardIdsJson: string | null;
          expiresAt: string;
          lastSeenAt: string;
          secondFactor: SecondFactorState;
        })
      | undefined;
    if (!row) return undefined;
    const { expiresAt, wardIdsJson, lastSeenAt, secondFactor, ...rest } = row;
    let seen = Date.parse(lastSeenAt);
    if (now.getTime() - seen >= TOUCH_EVERY_MS) {
      touchSession.run(now.toISOString(), tokenHash);
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

  /** Ends expired and idle sessions, announcing each so that their live connections are cut. */
  function sweepSessions(now: Date): number {
    const dead = db.transaction(() => {
      const rows = deadSessions.all(now.toISOString(), idleCutoff(now)) as { tokenHash: string }[];
      for (const { tokenHash } of rows) deleteSession.run(tokenHash);
      return rows;
    })();
    for (const { tokenHash } of dead) announce({ tokenHash });
    return dead.length;
  }

  return {
    find(username: string): UserRecord | undefined {
      const row = byName.get(username) as
        (Omit<UserRecord, 'wardIds'> & { wardIdsJson: string | null }) | undefined;
      if (!row) return undefined;
      const { wardIdsJson, ...rest } = row;
      return { ...rest, wardIds: parseWardIds(wardIdsJson) };
    },

    list(): UserAccount[] {
      return listAll.all() as UserAccount[];
    },

    account(username: string): UserAccount | undefined {
      return accountByName.get(username) as UserAccount | undefined;
    },

    /**
     * A stored hash to check a password against when the name is unknown: same scheme and cost as a
     * real user's, so that the answer takes as long and reveals nothing about which names exist.
     */
    passwordHashSample(): string | undefined {
      return (anyHash.get() as { passwordHash: string } | undefined)?.passwordHash;
    },

    upsert(user: {
      username: string;
      passwordHash: string | null;
      role: Role;
      displayName: string;
      /** Required for everyone but operators; the default organisation when left out. */
      organisationId?: string | null;
      patientId?: string | null;
      email?: string | null;
      createdBy?: string;
    }): void {
      const organisationId =
        user.role === 'operator' ? null : (user.organisationId ?? DEFAULT_ORGANISATION_ID);
      db.prepare(
        `INSERT INTO users (username, password_hash, role, display_name, organisation_id, patient_id, email,
                            created_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role,
           display_name = excluded.display_name, organisation_id = excluded.organisation_id,
           patient_id = excluded.patient_id, email = excluded.email`,
      ).run(
        user.username,
        user.passwordHash,
        user.role,
        user.displayName,
        organisationId,
        user.patientId ?? null,
        user.email ?? null,
        new Date().toISOString(),
        user.createdBy ?? 'system',
      );
    },

    setPassword(username: string, passwordHash: string): boolean {
      return setPassword.run(passwordHash, username).changes > 0;
    },

    sessionPolicy: policy,

    /** Returns a new bearer token; only its hash is stored. */
    createSession(username: string, now = new Date(), secondFactor: SecondFactorState = 'none'): string {
      const token = randomBytes(32).toString('base64url');
      const expires = new Date(now.getTime() + policy.maxMs);
      sweepSessions(now);
      const tokenHash = hashToken(token);
      insertSession.run(tokenHash, username, now.toISOString(), expires.toISOString(), now.toISOString());
      if (secondFactor !== 'none') setSecondFactor.run(secondFactor, tokenHash);
      return token;
    },

    /** After TOTP enrolment: the session may do everything its role allows. */
    setSessionSecondFactor(tokenHash: string, secondFactor: SecondFactorState): void {
      setSecondFactor.run(secondFactor, tokenHash);
    },

    sweepSessions(now = new Date()): number {
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
    endUserSessions(username: string): void {
      deleteUserSessions.run(username);
      announce({ username });
    },

    userForToken(token: string, now = new Date()): AuthenticatedUser | undefined {
      return sessionForHash(hashToken(token), now)?.user;
    },

    sessionForToken(token: string, now = new Date()): Session | undefined {
      return sessionForHash(hashToken(token), now);
    },

    /** The session behind a token hash, if it is still live (not ended, expired or disabled). */
    sessionForHash(tokenHash: string, now = new Date()): Session | undefined {
      return sessionForHash(tokenHash, now);
    },

    endSession(token: string): void {
      const tokenHash = hashToken(token);
      deleteSession.run(tokenHash);
      announce({ tokenHash });
    },

    /** Disables the account and ends all its sessions. False when there is no such user. */
    disable(username: string, at = new Date()): boolean {
      const changed = db.transaction(() => {
        if (disableUser.run(at.toISOString(), username).changes === 0) return false;
        deleteUserSessions.run(username);
        return true;
      })();
      if (changed) announce({ username });
      return changed;
    },

    enable(username: string): boolean {
      return enableUser.run(username).changes > 0;
    },

    /**
     * A new account with no password: invited (it sets one through a one-time link) or federated (it
     * signs in through an identity provider). False when the user name or e-mail is taken.
     */
    createAccount(user: NewAccount): boolean {
      try {
        db.transaction(() => {
          insertAccount.run(
            user.username,
            user.role,
            user.displayName,
            user.email?.toLowerCase() ?? null,
            user.role === 'operator' ? null : user.organisationId,
            new Date().toISOString(),
            user.createdBy,
          );
          for (const wardId of user.wardIds ?? []) insertUserWard.run(user.username, wardId);
        })();
        return true;
      } catch (error) {
        if ((error as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) return false;
        throw error;
      }
    },

    /** For sign-in through an identity provider: the account and its link to the provider's subject. */
    createFederated(user: NewAccount, identity: { issuer: string; subject: string }): boolean {
      return db.transaction(() => {
        if (!this.createAccount(user)) return false;
        db.prepare(
          `INSERT INTO federated_identities (issuer, subject, username, linked_at) VALUES (?, ?, ?, ?)`,
        ).run(identity.issuer, identity.subject, user.username, new Date().toISOString());
        return true;
      })();
    },

    /** The user signing in through an identity provider's subject, if linked. */
    findFederated(issuer: string, subject: string): UserRecord | undefined {
      const row = db
        .prepare(`SELECT username FROM federated_identities WHERE issuer = ? AND subject = ?`)
        .get(issuer, subject) as { username: string } | undefined;
      return row && this.find(row.username);
    },

    /**
     * A federated account follows its identity provider's claims at each sign-in. Ward limits belong
     * to one organisation, so they go when the organisation changes; an e-mail another account
     * holds is left as it was.
     */
    refreshFederated(
      username: string,
      claims: { role: Role; organisationId: string; displayName: string; email: string | null },
    ): void {
      db.transaction(() => {
        const before = byName.get(username) as { organisationId: string | null } | undefined;
        if (before && before.organisationId !== claims.organisationId)
          db.prepare(`DELETE FROM user_wards WHERE username = ?`).run(username);
        db.prepare(`UPDATE users SET role = ?, organisation_id = ?, display_name = ? WHERE username = ?`).run(
          claims.role,
          claims.organisationId,
          claims.displayName,
          username,
        );
        const email = claims.email?.toLowerCase() ?? null;
        const taken = email
          ? db.prepare(`SELECT 1 FROM users WHERE lower(email) = ? AND username <> ?`).get(email, username)
          : undefined;
        if (email && !taken) db.prepare(`UPDATE users SET email = ? WHERE username = ?`).run(email, username);
      })();
    },

    /** The first free user name from a stem (an e-mail's local part): stem, stem2, stem3, ... */
    freeUsername(stem: string): string {
      const base =
        stem
          .toLowerCase()
          .replace(/[^a-z0-9._-]+/g, '')
          .replace(/^[._-]+|[._-]+$/g, '')
          .slice(0, 60) || 'user';
      for (let n = 1; ; n++) {
        const candidate = n === 1 ? base : `${base}${n}`;
        if (!byName.get(candidate)) return candidate;
      }
    },

    /** Clears the password: a reset link sets a new one; until then nobody can sign in with the old. */
    clearPassword(username: string): void {
      db.prepare(`UPDATE users SET password_hash = NULL WHERE username = ?`).run(username);
    },

    /** Enrolment: the (sealed) secret, not yet in force until confirmed with a code. */
    setPendingTotp(username: string, sealedSecret: string): void {
      db.prepare(`UPDATE users SET totp_secret = ?, totp_enabled_at = NULL WHERE username = ?`).run(
        sealedSecret,
        username,
      );
    },

    enableTotp(username: string, at = new Date()): void {
      db.prepare(`UPDATE users SET totp_enabled_at = ? WHERE username = ? AND totp_secret IS NOT NULL`).run(
        at.toISOString(),
        username,
      );
    },

    /** An administrator's reset of a lost second factor. */
    clearTotp(username: string): boolean {
      return (
        db
          .prepare(`UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL WHERE username = ?`)
          .run(username).changes > 0
      );
    },

    /** Staff of an organisation (never family, never the hash), or one of them. */
    staff(organisationId: string | null, username?: string): StaffAccount[] {
      const rows = db
        .prepare(
          `SELECT u.username, u.display_name AS displayName, u.email, u.role, u.organisation_id AS organisationId,
                  ${wardIdsOf('u')}, u.disabled_at AS disabledAt, u.created_at AS createdAt,
                  (u.totp_enabled_at IS NOT NULL) AS totpEnabled,
                  (SELECT json_group_array(issuer) FROM federated_identities f WHERE f.username = u.username)
                    AS federatedJson
             FROM users u
            WHERE u.organisation_id IS ? AND u.role != 'family' ${username ? 'AND u.username = ?' : ''}
            ORDER BY u.username`,
        )
        .all(organisationId, ...(username ? [username] : [])) as (Omit<
        StaffAccount,
        'wardIds' | 'federated' | 'pending' | 'totpEnabled'
      > & { wardIdsJson: string | null; federatedJson: string; totpEnabled: number })[];
      return rows.map(({ wardIdsJson, federatedJson, totpEnabled, ...row }) => {
        const federated = JSON.parse(federatedJson) as string[];
        const hash = byName.get(row.username) as { passwordHash: string | null };
        return {
          ...row,
          wardIds: parseWardIds(wardIdsJson),
          pending: hash.passwordHash === null && federated.length === 0,
          totpEnabled: totpEnabled === 1,
          federated,
        };
      });
    },

    /** Accounts of an organisation as the older /api/users shows them (family members included). */
    accountsOf(organisationId: string | null): UserAccount[] {
      return db
        .prepare(`SELECT ${accountColumns} FROM users WHERE organisation_id IS ? ORDER BY username`)
        .all(organisationId) as UserAccount[];
    },

    updateStaff(
      username: string,
      change: { displayName?: string; role?: Role; wardIds?: string[] | null },
    ): void {
      db.transaction(() => {
        if (change.displayName !== undefined)
          db.prepare(`UPDATE users SET display_name = ? WHERE username = ?`).run(
            change.displayName,
            username,
          );
        if (change.role !== undefined)
          db.prepare(`UPDATE users SET role = ? WHERE username = ?`).run(change.role, username);
        if (change.wardIds !== undefined) {
          db.prepare(`DELETE FROM user_wards WHERE username = ?`).run(username);
          for (const wardId of change.wardIds ?? []) insertUserWard.run(username, wardId);
        }
      })();
    },

    /** Admins of an organisation who may still sign in (enabled), for last-admin protection. */
    activeAdmins(organisationId: string): string[] {
      return (
        db
          .prepare(
            `SELECT username FROM users WHERE organisation_id = ? AND role = 'admin' AND disabled_at IS NULL`,
          )
          .all(organisationId) as { username: string }[]
      ).map((row) => row.username);
    },

    /** Called whenever sessions end early, so that live connections of those sessions can be cut. */
    onSessionsEnded(listener: (ended: SessionsEnded) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
export type UserRepository = ReturnType<typeof createUserRepository>;
