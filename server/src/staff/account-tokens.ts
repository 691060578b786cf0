import { randomBytes } from 'node:crypto';
import type { Db } from '../db/database.js';
import { hashToken } from '../auth/user-repository.js';

export type AccountTokenPurpose = 'invite' | 'reset';

/** How long one-time links last: an invitation a week (people are away), a reset an hour. */
export interface AccountTokenLifetimes {
  inviteMs: number;
  resetMs: number;
}
export const DEFAULT_TOKEN_LIFETIMES: AccountTokenLifetimes = {
  inviteMs: 7 * 24 * 3600_000,
  resetMs: 3600_000,
};

export interface AccountTokenRecord {
  username: string;
  purpose: AccountTokenPurpose;
  expiresAt: string;
}

/**
 * One-time links to set a password. Only the token's hash is stored; issuing a new one for an
 * account voids its earlier ones; a token is used once, and not after it expires.
 */
export function createAccountTokens(db: Db, lifetimes: AccountTokenLifetimes = DEFAULT_TOKEN_LIFETIMES) {
  const voidOthers = db.prepare(`DELETE FROM account_tokens WHERE username = ? AND used_at IS NULL`);
  const insert = db.prepare(
    `INSERT INTO account_tokens (token_hash, username, purpose, created_at, created_by, expires_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const live = db.prepare(
    `SELECT username, purpose, expires_at AS expiresAt FROM account_tokens
      WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`,
  );
  const use = db.prepare(
    `UPDATE account_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`,
  );

  return {
    lifetimes,

    issue(
      username: string,
      purpose: AccountTokenPurpose,
      createdBy: string,
      now = new Date(),
    ): { token: string; expiresAt: string } {
      const token = randomBytes(32).toString('base64url');
      const lifetime = purpose === 'invite' ? lifetimes.inviteMs : lifetimes.resetMs;
      const expiresAt = new Date(now.getTime() + lifetime).toISOString();
      db.transaction(() => {
        voidOthers.run(username);
        insert.run(hashToken(token), username, purpose, now.toISOString(), createdBy, expiresAt);
      })();
      return { token, expiresAt };
    },

    /** Whose link this is, while it may still be used. */
    inspect(token: string, now = new Date()): AccountTokenRecord | undefined {
      return live.get(hashToken(token), now.toISOString()) as AccountTokenRecord | undefined;
    },

    /**
     * Uses the token inside `then` (one transaction): when `then` throws, the token stays unused.
     * Undefined when the token is unknown, used or expired.
     */
    consume<T>(token: string, then: (record: AccountTokenRecord) => T, now = new Date()): T | undefined {
      return db.transaction(() => {
        const record = live.get(hashToken(token), now.toISOString()) as AccountTokenRecord | undefined;
        if (!record) return undefined;
        if (use.run(now.toISOString(), hashToken(token), now.toISOString()).changes !== 1) return undefined;
        return then(record);
      })();
    },

    /** Whether an account has never set a password through a link nor been reset (an invitation pending). */
    neverSetUp(username: string): boolean {
      return !db
        .prepare(
          `SELECT 1 FROM account_tokens WHERE username = ? AND (used_at IS NOT NULL OR purpose = 'reset')`,
        )
        .get(username);
    },

    /** Voids an account's unused links (disabled accounts must not be set up behind an admin's back). */
    voidFor(username: string): void {
      voidOthers.run(username);
    },
  };
}
export type AccountTokens = ReturnType<typeof createAccountTokens>;
