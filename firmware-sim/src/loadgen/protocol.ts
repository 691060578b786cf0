/** Messages between the load generator's coordinator and its worker threads. */
import type { FleetOptions } from '../fleet/plan.js';
import type { Counters, RawGatewayOptions } from './raw-gateway.js';

/** Every gateway's connection settings, but each its own password (passwords[i] for gateway from + i). */
export interface WorkerInit extends Omit<RawGatewayOptions, 'password'> {
  fleet: FleetOptions;
  /** The gateways this worker owns: plan.gateways[from..to). */
  from: number;
  to: number;
  passwords: string[];
  salt: string;
  connectConcurrency: number;
  templateVariants: number;
}

/** A worker's counters, and for the coordinator's totals (GeneratorTotals) the same summed. */
export interface WorkerStats extends Counters {
  connected: number;
  /** Readings taken and not yet acknowledged. */
  pending: number;
  /** Per owned gateway: its next sequence number (readings 0..seq-1 were sent), and readings acked. */
  seq?: number[];
  ackedPerGateway?: number[];
}

export type WorkerOrder =
  | { type: 'connect' }
  | { type: 'take'; count: number; atMs: number }
  | { type: 'rate'; perSecond: number }
  | { type: 'history'; perGateway: number; fromMs: number; toMs: number }
  | { type: 'fall'; gateway: number; resident: number; atMs: number }
  | { type: 'offline' }
  | { type: 'online' }
  | { type: 'stats'; detail?: boolean }
  | { type: 'close' };

export type WorkerRequest = WorkerOrder & { reqId: number };

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'stats'; stats: WorkerStats }
  | {
      type: 'done';
      reqId: number;
      connect?: { connected: number; failed: number };
      fall?: { id: string; deviceId: string };
      stats?: WorkerStats;
    };
