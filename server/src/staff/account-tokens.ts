import { randomBytes } from 'node:crypto';
import type { SqlDatabase } from '../db/engines/engine.js';
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
export function createAccountTokens(
  sql: SqlDatabase,
  lifetimes: AccountTokenLifetimes = DEFAULT_TOKEN_LIFETIMES,
) {
  const voidOthers = `DELETE FROM account_tokens WHERE username = ? AND used_at IS NULL`;
  const live = `SELECT username, purpose, expires_at AS "expiresAt" FROM account_tokens
      WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`;

  return {
    lifetimes,

    async issue(
      username: string,
      purpose: AccountTokenPurpose,
      createdBy: string,
      now = new Date(),
    ): Promise<{ token: string; expiresAt: string }> {
      const token = randomBytes(32).toString('base64url');
      const lifetime = purpose === 'invite' ? lifetimes.inviteMs : lifetimes.resetMs;
      const expiresAt = new Date(now.getTime() + lifetime).toISOString();
      await sql.transaction(async () => {
        await sql.run(voidOthers, [username]);
        await sql.run(
          `INSERT INTO account_tokens (token_hash, username, purpose, created_at, created_by, expires_at)
           VALUES (?, ?, ?, ?, ?, ?)`,
          [hashToken(token), username, purpose, now.toISOString(), createdBy, expiresAt],
        );
      });
      return { token, expiresAt };
    },

    /** Whose link this is, while it may still be used. */
    async inspect(token: string, now = new Date()): Promise<AccountTokenRecord | undefined> {
      return sql.get<AccountTokenRecord>(live, [hashToken(token), now.toISOString()]);
    },

    /**
     * Uses the token inside `then` (one transaction): when `then` throws, the token stays unused.
     * Undefined when the token is unknown, used or expired. The conditional UPDATE decides: of two
     * uses at once (on any replicas), one changes the row and the other gets undefined.
     */
    async consume<T>(
      token: string,
      then: (record: AccountTokenRecord) => Promise<T>,
      now = new Date(),
    ): Promise<T | undefined> {
      return sql.transaction(async () => {
        const record = await sql.get<AccountTokenRecord>(live, [hashToken(token), now.toISOString()]);
        if (!record) return undefined;
        const { changes } = await sql.run(
          `UPDATE account_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`,
          [now.toISOString(), hashToken(token), now.toISOString()],
        );
        if (changes !== 1) return undefined;
        return then(record);
      });
    },

    /** Whether an account has never set a password through a link nor been reset (an invitation pending). */
    async neverSetUp(username: string): Promise<boolean> {
      return !(await sql.get(
        `SELECT 1 AS used FROM account_tokens WHERE username = ? AND (used_at IS NOT NULL OR purpose = 'reset')`,
        [username],
      ));
    },

    /** Voids an account's unused links (disabled accounts must not be set up behind an admin's back). */
    async voidFor(username: string): Promise<void> {
      await sql.run(voidOthers, [username]);
    },
  };
}
export type AccountTokens = ReturnType<typeof createAccountTokens>;
