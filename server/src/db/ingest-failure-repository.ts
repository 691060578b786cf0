import { createHash } from 'node:crypto';
import type { Db } from './database.js';

/**
 * Messages whose handling failed for their content, counted across restarts: the broker re-sends
 * an unacknowledged message after a restart, so a count kept in memory would start again and a
 * poison message would hold its session for ever. Keyed by a hash of topic and payload (a message
 * has no id of its own that survives redelivery).
 */
export function messageHash(topic: string, payload: Uint8Array): string {
  return createHash('sha256').update(topic).update('\0').update(payload).digest('hex');
}

export function createIngestFailureRepository(db: Db) {
  const record = db.prepare(
    `INSERT INTO ingest_failures (message_hash, topic, attempts, first_failed_at, last_error)
     VALUES (?, ?, 1, ?, ?)
     ON CONFLICT (message_hash) DO UPDATE
       SET attempts = attempts + 1, last_error = excluded.last_error
     RETURNING attempts`,
  );
  const forget = db.prepare(`DELETE FROM ingest_failures WHERE message_hash = ?`);
  const get = db.prepare(`SELECT attempts FROM ingest_failures WHERE message_hash = ?`);

  return {
    /** Counts one more failed attempt, committed at once (its own statement); returns the total. */
    record(hash: string, topic: string, error: string, at: string): number {
      return (record.get(hash, topic.slice(0, 512), at, error.slice(0, 1000)) as { attempts: number })
        .attempts;
    },
    forget(hash: string): void {
      forget.run(hash);
    },
    attempts(hash: string): number {
      return (get.get(hash) as { attempts: number } | undefined)?.attempts ?? 0;
    },
  };
}
export type IngestFailureRepository = ReturnType<typeof createIngestFailureRepository>;
