import type { Thresholds } from '@wardline/protocol';
import type { SqlDatabase } from '../../db/engines/engine.js';
import type { AcceptedObservation, IngestOutcome } from '../../ingest/ingest.js';
import type { AlertingConfig } from '../config.js';
import type { createSnapshots } from '../snapshot.js';
import type { AlertRow, OpenSpec } from '../store.js';
import type { ThresholdRepository } from '../thresholds.js';

export type RaiseSpec = Omit<OpenSpec, 'nextEscalationAt'>;

export interface AmendChange {
  title: string;
  message: string;
  detail: Record<string, unknown>;
}

export interface AmendOptions {
  type: 'recurred' | 'updated' | 'escalated';
  /** Why, for the audit trail and the notification. */
  note: string;
  /** Counts as another occurrence of the event. */
  occurrence?: boolean;
  /** An acknowledged alert goes back to open, with a fresh escalation timer. */
  reopen?: boolean;
  /** Move to this escalation level ('top': the last). */
  level?: number | 'top';
  /** Who is told: nobody (the dashboard only), the alert's level, or every level up to it. */
  notify?: 'none' | 'level' | 'every level';
}
export type Values = Record<string, { value: number } | undefined>;

/** What a rule may do: the engine owns the lifecycle (persistence, escalation, notifications). */
export interface RuleContext {
  readonly at: Date;
  readonly sql: SqlDatabase;
  readonly config: AlertingConfig;
  readonly thresholds: ThresholdRepository;
  readonly snapshots: ReturnType<typeof createSnapshots>;
  /** Opens the alert, or updates the open one (recur: counts a repeat of a discrete event). */
  raise(spec: RaiseSpec, recur?: boolean): Promise<void>;
  clear(subject: string, condition: string, note: string): Promise<void>;
  /** Changes an unresolved alert in place: a falls incident taking in an event, or escalating. */
  amend(row: AlertRow, change: AmendChange, options: AmendOptions): Promise<void>;
  findUnresolved(subject: string, condition: string): Promise<AlertRow | undefined>;
}

/** One patient's share of an ingest message, after safety events. */
export interface PatientReadings {
  patientId: string;
  wardId: string | null;
  thresholds: Thresholds;
  /** Kinds with at least one reliable reading in this message. */
  kinds: ReadonlySet<string>;
  /** Every vital-sign reading in the message, reliable or not. */
  observations: readonly AcceptedObservation[];
}

export type DeviceStatusInput = IngestOutcome['deviceStatuses'][number];
export type GatewayStatusInput = NonNullable<IngestOutcome['gatewayStatus']>;

/**
 * An alert rule, one module each (see rules/README.md). The engine calls only the hooks a rule has,
 * in registration order.
 */
export interface AlertRule {
  name: string;
  /** The alert conditions it raises. */
  conditions: readonly string[];
  /** What it watches, for the docs and the registry test. */
  watches: {
    observations?: readonly string[] | 'all';
    deviceStatus?: boolean;
    gatewayStatus?: boolean;
    timer?: boolean;
  };
  /** Each accepted observation (device heard, discrete events), before patient readings. */
  onObservation?(ctx: RuleContext, accepted: AcceptedObservation): Promise<void>;
  onPatientReadings?(ctx: RuleContext, input: PatientReadings): Promise<void>;
  onDeviceStatus?(ctx: RuleContext, input: DeviceStatusInput): Promise<void>;
  onGatewayStatus?(ctx: RuleContext, gateway: GatewayStatusInput): Promise<void>;
  /** The periodic tick (missing data); escalation is the engine's. */
  onTick?(ctx: RuleContext): Promise<void>;
}
