/**
 * Leases: which server replica does a piece of work that must happen once (escalations, overdue
 * checks, the notification outbox, retention, the time-series spool). Taking or renewing a lease
 * is one conditional upsert, so the database, not any replica's memory, decides who holds it; a
 * holder that stops renewing (killed, partitioned, paused) loses it when it expires.
 *
 * Times are the replicas' own clocks: keep them in step (NTP) and the lease's length far above any
 * difference between them. A holder paused past its expiry may finish one run while the next holder
 * starts, so the work itself stays safe to run twice (conditional updates, unique constraints).
 */
import type { SqlDatabase } from './engines/engine.js';

export interface LeaseHolder {
  name: string;
  holder: string;
  acquiredAt: string;
  expiresAt: string;
}

export function createLeaseRepository(sql: SqlDatabase) {
  return {
    /**
     * Takes the lease, or renews it when `holder` already has it. True when `holder` holds it
     * until `now + lengthMs`; false while another holder's lease is unexpired.
     */
    async acquire(name: string, holder: string, lengthMs: number, now: Date = new Date()): Promise<boolean> {
      const at = now.toISOString();
      const expiresAt = new Date(now.getTime() + lengthMs).toISOString();
      const { changes } = await sql.run(
        `INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET
           holder = excluded.holder,
           expires_at = excluded.expires_at,
           acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END
         WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
        [name, holder, at, expiresAt, at],
      );
      return changes === 1;
    },
    /** Gives the lease up at once (a clean shutdown), if `holder` has it. */
    async release(name: string, holder: string): Promise<void> {
      await sql.run('DELETE FROM leases WHERE name = ? AND holder = ?', [name, holder]);
    },
    /** Gives up every lease `holder` has. */
    async releaseAll(holder: string): Promise<void> {
      await sql.run('DELETE FROM leases WHERE holder = ?', [holder]);
    },
    async current(name: string): Promise<LeaseHolder | undefined> {
      const row = await sql.get<{ name: string; holder: string; acquired_at: string; expires_at: string }>(
        'SELECT name, holder, acquired_at, expires_at FROM leases WHERE name = ?',
        [name],
      );
      return (
        row && { name: row.name, holder: row.holder, acquiredAt: row.acquired_at, expiresAt: row.expires_at }
      );
    },
  };
}
export type LeaseRepository = ReturnType<typeof createLeaseRepository>;
