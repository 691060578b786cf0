import type { FastifyBaseLogger } from 'fastify';
import type { SqlDatabase } from '../db/engines/engine.js';

const DAY_MS = 86_400_000;
const DELETE_BATCH = 5000;

/**
 * Deletes embedded observations measured more than `days` ago, in small transactions so that
 * ingest is never blocked for long. The InfluxDB spool is left alone: points still waiting for
 * InfluxDB are written whatever their age (InfluxDB has its own retention policies).
 */
export async function applyRetention(sql: SqlDatabase, days: number, now = Date.now()): Promise<number> {
  const cutoff = new Date(now - days * DAY_MS).toISOString();
  await sql.run(`DELETE FROM latest_observations WHERE measured_at < ?`, [cutoff]);
  let total = 0;
  for (;;) {
    const { changes: removed } = await sql.transaction(() =>
      sql.run(
        `DELETE FROM observations WHERE id IN (SELECT id FROM observations WHERE measured_at < ? LIMIT ${DELETE_BATCH})`,
        [cutoff],
      ),
    );
    total += removed;
    if (removed < DELETE_BATCH) return total;
  }
}

/**
 * Applies retention now and then every `intervalMs`, on the one replica that `leads` it; returns a
 * stop function.
 */
export function scheduleRetention(
  sql: SqlDatabase,
  days: number,
  log: FastifyBaseLogger,
  intervalMs = 3_600_000,
  leads: (job: string, lengthMs: number) => Promise<boolean> = async () => true,
): () => void {
  let running: Promise<void> | null = null;
  const run = () => {
    // One pass at a time: a slow pass is not overtaken by the next tick's.
    running ??= leads('observation-retention', intervalMs * 3)
      .then((mine) => (mine ? applyRetention(sql, days) : 0))
      .then(
        (removed) => {
          if (removed > 0) log.info({ removed, days }, 'retention removed old observations');
        },
        (err: Error) => log.error({ err: err.message }, 'retention failed; will try again'),
      )
      .finally(() => {
        running = null;
      });
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
