import { createHash } from 'node:crypto';
import type { SqlDatabase } from './engines/engine.js';

/**
 * Messages whose handling failed for their content, counted across restarts: the broker re-sends
 * an unacknowledged message after a restart, so a count kept in memory would start again and a
 * poison message would hold its session for ever. Keyed by a hash of topic and payload (a message
 * has no id of its own that survives redelivery).
 */
export function messageHash(topic: string, payload: Uint8Array): string {
  return createHash('sha256').update(topic).update('\0').update(payload).digest('hex');
}

export function createIngestFailureRepository(sql: SqlDatabase) {
  return {
    /** Counts one more failed attempt, committed at once (its own statement); returns the total. */
    async record(hash: string, topic: string, error: string, at: string): Promise<number> {
      const row = await sql.get<{ attempts: number }>(
        `INSERT INTO ingest_failures (message_hash, topic, attempts, first_failed_at, last_error)
         VALUES (?, ?, 1, ?, ?)
         ON CONFLICT (message_hash) DO UPDATE
           SET attempts = ingest_failures.attempts + 1, last_error = excluded.last_error
         RETURNING attempts`,
        [hash, topic.slice(0, 512), at, error.slice(0, 1000)],
      );
      return row!.attempts;
    },
    async forget(hash: string): Promise<void> {
      await sql.run(`DELETE FROM ingest_failures WHERE message_hash = ?`, [hash]);
    },
    async attempts(hash: string): Promise<number> {
      const row = await sql.get<{ attempts: number }>(
        `SELECT attempts FROM ingest_failures WHERE message_hash = ?`,
        [hash],
      );
      return row?.attempts ?? 0;
    },
  };
}
export type IngestFailureRepository = ReturnType<typeof createIngestFailureRepository>;
