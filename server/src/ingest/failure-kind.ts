import { postgresUnavailable } from '../db/engines/postgres/unavailable.js';
import { sqliteUnavailable } from '../db/engines/sqlite/unavailable.js';
import { SpoolFullError } from '../timeseries/spool.js';

/**
 * Bulkheads: why storing a message failed decides what happens to it. A storage failure is
 * about the server, not the message (the disk is full or failing, the database is locked or
 * read-only, the time-series spool is full): every message would fail the same way, so the
 * message is held unacknowledged and retried, and health says storage is failing. Anything else
 * thrown while handling one message is about that message (a content failure): it is retried a
 * few times, then dead-lettered, so that it can never hold up the others.
 */

/**
 * The storage failure's code (SQLITE_FULL, SQLITE_IOERR_WRITE, POSTGRES_57P01, ECONNREFUSED,
 * POSTGRES_CONNECTION, SPOOL_FULL), or null for content.
 */
export function storageFailureCode(err: unknown): string | null {
  if (err instanceof SpoolFullError) return 'SPOOL_FULL';
  return sqliteUnavailable(err) ?? postgresUnavailable(err);
}

/** A short description of a thrown value for logs and dead letters (never the payload). */
export function describeFailure(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 300);
  return String(err).slice(0, 300);
}
