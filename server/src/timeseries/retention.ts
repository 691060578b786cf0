import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/database.js';

const DAY_MS = 86_400_000;
const DELETE_BATCH = 5000;

/**
 * Deletes embedded observations measured more than `days` ago, in small transactions so that
 * ingest is never blocked for long. The InfluxDB spool is left alone: points still waiting for
 * InfluxDB are written whatever their age (InfluxDB has its own retention policies).
 */
export function applyRetention(db: Db, days: number, now = Date.now()): number {
  const cutoff = new Date(now - days * DAY_MS).toISOString();
  const removeLatest = db.prepare(`DELETE FROM latest_observations WHERE measured_at < ?`);
  const removeBatch = db.prepare(
    `DELETE FROM observations WHERE id IN (SELECT id FROM observations WHERE measured_at < ? LIMIT ${DELETE_BATCH})`,
  );
  removeLatest.run(cutoff);
  let total = 0;
  for (;;) {
    const removed = db.transaction(() => removeBatch.run(cutoff).changes)();
    total += removed;
    if (removed < DELETE_BATCH) return total;
  }
}

/** Applies retention now and then every `intervalMs`; returns a stop function. */
export function scheduleRetention(
  db: Db,
  days: number,
  log: FastifyBaseLogger,
  intervalMs = 3_600_000,
): () => void {
  const run = () => {
    try {
      const removed = applyRetention(db, days);
      if (removed > 0) log.info({ removed, days }, 'retention removed old observations');
    } catch (err) {
      log.error({ err: (err as Error).message }, 'retention failed; will try again');
    }
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
