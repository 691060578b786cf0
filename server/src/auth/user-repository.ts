import type { Role, SessionUser, UserAccount } from '@wardline/protocol';
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/database.js';

export interface UserRecord extends SessionUser {
  /** Null: invited and not yet set, or an account that signs in only through an identity provider. */
  passwordHash: string | null;
  /** For family members: the one person whose information they may see. */
  patientId: string | null;
  disabledAt: string | null;
}

export interface AuthenticatedUser extends SessionUser {
  patientId: string | null;
}

/** A live session: who, which session (by the hash of its token), and until when. */
export interface Session {
  user: AuthenticatedUser;
  tokenHash: string;
  expiresAt: string;
}

/** Sessions that ended before their expiry: one by sign-out, or all of a user's when disabled. */
export type SessionsEnded = { tokenHash: string } | { username: string };

export const SESSION_HOURS = 12;

/** Where records from before organisations live, and the demo's organisation. */
export const DEFAULT_ORGANISATION_ID = 'org-default';

function parseWardIds(json: string | null): string[] | null {
  return json === null ? null : (JSON.parse(json) as string[]);
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function createUserRepository(db: Db) {
  // A ward-limited user's wards as a JSON array; NULL: every ward of the organisation.
  const wardIdsOf = (alias: string) =>
    `(SELECT json_group_array(ward_id) FROM user_wards uw WHERE uw.username = ${alias}.username
        HAVING count(*) > 0) AS wardIdsJson`;
  const byName = db.prepare(
    `SELECT u.username, u.password_hash AS passwordHash, u.role, u.display_name AS displayName,
            u.organisation_id AS organisationId, u.patient_id AS patientId, u.disabled_at AS disabledAt,
            ${wardIdsOf('u')}
       FROM users u WHERE u.username = ?`,
  );
  const bySession = db.prepare(
    `SELECT u.username, u.role, u.display_name AS displayName, u.organisation_id AS organisationId,
            u.patient_id AS patientId, ${wardIdsOf('u')}, s.expires_at AS expiresAt
       FROM sessions s JOIN users u ON u.username = s.username
      WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled_at IS NULL`,
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
  const purgeExpired = db.prepare(`DELETE FROM sessions WHERE expires_at <= ?`);
  const disableUser = db.prepare(
    `UPDATE users SET disabled_at = coalesce(disabled_at, ?) WHERE username = ?`,
  );
  const enableUser = db.prepare(`UPDATE users SET disabled_at = NULL WHERE username = ?`);
  const setPassword = db.prepare(`UPDATE users SET password_hash = ? WHERE username = ?`);

  const listeners = new Set<(ended: SessionsEnded) => void>();
  const announce = (ended: SessionsEnded) => {
    for (const listener of listeners) listener(ended);
  };

  function sessionForHash(tokenHash: string, now: Date): Session | undefined {
    const row = bySession.get(tokenHash, now.toISOString()) as
      (Omit<AuthenticatedUser, 'wardIds'> & { wardIdsJson: string | null; expiresAt: string }) | undefined;
    if (!row) return undefined;
    const { expiresAt, wardIdsJson, ...rest } = row;
    return { user: { ...rest, wardIds: parseWardIds(wardIdsJson) }, tokenHash, expiresAt };
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

    /** Returns a new bearer token; only its hash is stored. */
    createSession(username: string, now = new Date()): string {
      const token = randomBytes(32).toString('base64url');
      const expires = new Date(now.getTime() + SESSION_HOURS * 3600_000);
      purgeExpired.run(now.toISOString());
      insertSession.run(
        hashToken(token),
        username,
        now.toISOString(),
        expires.toISOString(),
        now.toISOString(),
      );
      return token;
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

    /** Called whenever sessions end early, so that live connections of those sessions can be cut. */
    onSessionsEnded(listener: (ended: SessionsEnded) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
export type UserRepository = ReturnType<typeof createUserRepository>;
