/**
 * The broker's change feed of gateway credentials: every user name changed since a version, with
 * the whole current state of each (hashes only, never secrets). The broker polls it about once a
 * second (broker/src/credential-replica.ts); a user with no secrets left may not connect, and its
 * connections are cut.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { BrokerCredentialFeed } from '@wardline/protocol';
import type { Db } from '../db/database.js';

export function createBrokerFeed(db: Db, now = () => new Date()) {
  const latest = db.prepare(`SELECT coalesce(max(version), 0) AS version FROM credential_changes`);
  const changedSince = db.prepare(
    `SELECT DISTINCT username FROM credential_changes WHERE version > ? AND version <= ?`,
  );
  const userState = db.prepare(
    `SELECT s.code AS site, k.gateway_code AS gateway, c.secret_hash AS hash, c.not_after AS notAfter
       FROM gateway_credentials c JOIN kits k ON k.id = c.kit_id JOIN sites s ON s.id = k.site_id
      WHERE c.username = ? AND c.revoked_at IS NULL AND k.revoked_at IS NULL
        AND (c.not_after IS NULL OR c.not_after > ?)
      ORDER BY c.id DESC`,
  );
  const identityOf = db.prepare(
    `SELECT s.code AS site, k.gateway_code AS gateway FROM gateway_credentials c
       JOIN kits k ON k.id = c.kit_id JOIN sites s ON s.id = k.site_id
      WHERE c.username = ? ORDER BY c.id DESC LIMIT 1`,
  );

  return {
    /** One consistent read: better-sqlite3 is synchronous, so no write lands in between. */
    since(version: number): BrokerCredentialFeed {
      const head = (latest.get() as { version: number }).version;
      // A broker ahead of us (the database was restored from a backup) gets everything again.
      const from = version > head ? 0 : version;
      const at = now().toISOString();
      const users = (changedSince.all(from, head) as { username: string }[]).map(({ username }) => {
        const rows = userState.all(username, at) as {
          site: string;
          gateway: string;
          hash: string;
          notAfter: string | null;
        }[];
        const identity = rows[0] ?? (identityOf.get(username) as { site: string; gateway: string });
        return {
          username,
          site: identity.site,
          gateway: identity.gateway,
          secrets: rows.map(({ hash, notAfter }) => ({ hash, notAfter })),
        };
      });
      return { version: head, users };
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
