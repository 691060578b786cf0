/**
 * This server process as one replica among several on the same records: its identity, and whether
 * it leads a piece of work that must run once across replicas (see leases.ts). With one server
 * (SQLite, `npm start`) it always leads.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { LeaseRepository } from './leases.js';

export interface Replica {
  /** Unique per process: host, pid and a random part (a restarted process is a new replica). */
  readonly id: string;
  /**
   * Takes or renews this replica's lease on `job` for `lengthMs`; true while it holds it. Call it
   * at least every `lengthMs / 3` while doing the work, and do the work only when it says true.
   */
  leads(job: string, lengthMs: number): Promise<boolean>;
  /** Gives up every lease this replica holds (a clean shutdown): the others take over at once. */
  release(): Promise<void>;
}

export function createReplica(
  leases: LeaseRepository,
  options: {
    /**
     * The records are this process's alone (an embedded SQLite file): it leads everything, and a
     * restart resumes escalations at once instead of waiting for its previous self's leases.
     */
    alone?: boolean;
    now?: () => Date;
  } = {},
): Replica {
  const id = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const now = options.now ?? (() => new Date());
  if (options.alone) return { id, leads: async () => true, release: async () => undefined };
  return {
    id,
    leads: (job, lengthMs) => leases.acquire(job, id, lengthMs, now()),
    release: () => leases.releaseAll(id),
  };
}
