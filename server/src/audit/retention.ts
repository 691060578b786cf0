import type { FastifyBaseLogger } from 'fastify';
import type { AuditLog } from './audit-log.js';

/** The database refuses to delete audit events younger than this (a trigger): no setting goes below. */
export const AUDIT_MINIMUM_RETENTION_DAYS = 30;
/**
 * Eight years: the NHS Records Management Code of Practice keeps audit trails of access to
 * health records as long as the records themselves, commonly 8 years for adults.
 */
export const AUDIT_DEFAULT_RETENTION_DAYS = 2922;

const DAY_MS = 86_400_000;

/**
 * Deletes audit events older than `days`, a batch per transaction with the event loop free in
 * between, so that a first run over years of events never holds the database for long.
 */
export async function applyAuditRetention(
  audit: AuditLog,
  days: number,
  options: { now?: Date; batchSize?: number } = {},
): Promise<number> {
  const cutoff = new Date(
    (options.now ?? new Date()).getTime() - Math.max(days, AUDIT_MINIMUM_RETENTION_DAYS) * DAY_MS,
  );
  let removed = 0;
  for (;;) {
    const batch = await audit.deleteBatchBefore(cutoff, options.batchSize ?? 1000);
    removed += batch;
    if (batch < (options.batchSize ?? 1000)) return removed;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Runs retention now and then daily, on the one replica that `leads` it; returns the stop function. */
export function scheduleAuditRetention(
  audit: AuditLog,
  days: number,
  log: FastifyBaseLogger,
  intervalMs = DAY_MS,
  leads: (job: string, lengthMs: number) => Promise<boolean> = async () => true,
): () => void {
  let running = false;
  const run = () => {
    if (running) return;
    running = true;
    leads('audit-retention', intervalMs * 3)
      .then((mine) => (mine ? applyAuditRetention(audit, days) : 0))
      .then((removed) => {
        if (removed > 0) log.info({ removed, days }, 'audit retention removed old events');
      })
      .catch((err: unknown) => {
        log.error({ err: (err as Error).message }, 'audit retention failed; will try again');
      })
      .finally(() => {
        running = false;
      });
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
