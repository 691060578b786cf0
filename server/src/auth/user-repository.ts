import type { Role, SessionUser } from '@wardline/protocol';
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/database.js';

export interface UserRecord extends SessionUser {
  passwordHash: string;
  /** For family members: the one person whose information they may see. */
  patientId: string | null;
}

export interface AuthenticatedUser extends SessionUser {
  patientId: string | null;
}

const SESSION_HOURS = 12;

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function createUserRepository(db: Db) {
  const byName = db.prepare(
    `SELECT username, password_hash AS passwordHash, role, display_name AS displayName, patient_id AS patientId
       FROM users WHERE username = ?`,
  );
  const bySession = db.prepare(
    `SELECT u.username, u.role, u.display_name AS displayName, u.patient_id AS patientId
       FROM sessions s JOIN users u ON u.username = s.username
      WHERE s.token_hash = ? AND s.expires_at > ?`,
  );
  const insertSession = db.prepare(
    `INSERT INTO sessions (token_hash, username, created_at, expires_at) VALUES (?, ?, ?, ?)`,
  );
  const deleteSession = db.prepare(`DELETE FROM sessions WHERE token_hash = ?`);
  const purgeExpired = db.prepare(`DELETE FROM sessions WHERE expires_at <= ?`);

  return {
    find(username: string): UserRecord | undefined {
      return byName.get(username) as UserRecord | undefined;
    },

    upsert(user: {
      username: string;
      passwordHash: string;
      role: Role;
      displayName: string;
      patientId?: string | null;
    }): void {
      db.prepare(
        `INSERT INTO users (username, password_hash, role, display_name, patient_id) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role,
           display_name = excluded.display_name, patient_id = excluded.patient_id`,
      ).run(user.username, user.passwordHash, user.role, user.displayName, user.patientId ?? null);
    },

    /** Returns a new bearer token; only its hash is stored. */
    createSession(username: string, now = new Date()): string {
      const token = randomBytes(32).toString('base64url');
      const expires = new Date(now.getTime() + SESSION_HOURS * 3600_000);
      purgeExpired.run(now.toISOString());
      insertSession.run(hashToken(token), username, now.toISOString(), expires.toISOString());
      return token;
    },

    userForToken(token: string, now = new Date()): AuthenticatedUser | undefined {
      return bySession.get(hashToken(token), now.toISOString()) as AuthenticatedUser | undefined;
    },

    endSession(token: string): void {
      deleteSession.run(hashToken(token));
    },
  };
}
export type UserRepository = ReturnType<typeof createUserRepository>;
