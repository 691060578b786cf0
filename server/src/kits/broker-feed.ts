/**
 * The broker's change feed of gateway credentials: every user name changed since a version, with
 * the whole current state of each (hashes only, never secrets). The broker polls it about once a
 * second (broker/src/credential-replica.ts); a user with no secrets left may not connect, and its
 * connections are cut.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { BrokerCredentialFeed } from '@wardline/protocol';
import type { SqlDatabase } from '../db/engines/engine.js';

export function createBrokerFeed(sql: SqlDatabase, now = () => new Date()) {
  return {
    /**
     * One transaction: on SQLite no write lands in between. A user's state is read whole and
     * current, so a change landing after `head` was read is only sent again on the next poll.
     */
    since(version: number): Promise<BrokerCredentialFeed> {
      return sql.transaction(async () => {
        const head = (await sql.get<{ version: number }>(
          `SELECT coalesce(max(version), 0) AS version FROM credential_changes`,
        ))!.version;
        // A broker ahead of us (the database was restored from a backup) gets everything again.
        const from = version > head ? 0 : version;
        const at = now().toISOString();
        const changed = await sql.all<{ username: string }>(
          `SELECT DISTINCT username FROM credential_changes WHERE version > ? AND version <= ? ORDER BY username`,
          [from, head],
        );
        const users: BrokerCredentialFeed['users'] = [];
        for (const { username } of changed) {
          const rows = await sql.all<{
            site: string;
            gateway: string;
            hash: string;
            notAfter: string | null;
          }>(
            `SELECT s.code AS site, k.gateway_code AS gateway, c.secret_hash AS hash, c.not_after AS "notAfter"
               FROM gateway_credentials c JOIN kits k ON k.id = c.kit_id JOIN sites s ON s.id = k.site_id
              WHERE c.username = ? AND c.revoked_at IS NULL AND k.revoked_at IS NULL
                AND (c.not_after IS NULL OR c.not_after > ?)
              ORDER BY c.id DESC`,
            [username, at],
          );
          const identity =
            rows[0] ??
            (await sql.get<{ site: string; gateway: string }>(
              `SELECT s.code AS site, k.gateway_code AS gateway FROM gateway_credentials c
                 JOIN kits k ON k.id = c.kit_id JOIN sites s ON s.id = k.site_id
                WHERE c.username = ? ORDER BY c.id DESC LIMIT 1`,
              [username],
            ))!;
          users.push({
            username,
            site: identity.site,
            gateway: identity.gateway,
            secrets: rows.map(({ hash, notAfter }) => ({ hash, notAfter })),
          });
        }
        return { version: head, users };
      });
    },
  };
}
export type BrokerFeed = ReturnType<typeof createBrokerFeed>;

/** Compares a presented bearer token with the configured one in constant time. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  // Digests first: timingSafeEqual needs equal lengths, and the length must not leak either.
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
