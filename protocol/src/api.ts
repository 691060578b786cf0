import Type, { type Static } from 'typebox';
import { TimeSeriesHealth } from './history.js';
import { Observation } from './observation.js';
import type { AlertEvent } from './alerts.js';
import { DeviceStatus, GatewayStatus } from './status.js';

/**
 * The HTTP API and socket.io contract between the server and its clients (dashboard, tests,
 * integrations). Schemas double as fastify route schemas and as the clients' static types.
 */
export const Role = { nurse: 'nurse', admin: 'admin', family: 'family' } as const;
export type Role = (typeof Role)[keyof typeof Role];
export const RoleSchema = Type.Union([Type.Literal('nurse'), Type.Literal('admin'), Type.Literal('family')]);

export const SESSION_COOKIE = 'wardline_session';

export const LoginRequest = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 128 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);
export type LoginRequest = Static<typeof LoginRequest>;

export const SessionUser = Type.Object({
  username: Type.String(),
  role: RoleSchema,
  displayName: Type.String(),
});
export type SessionUser = Static<typeof SessionUser>;

export const LoginResponse = Type.Object({ token: Type.String(), user: SessionUser });
export type LoginResponse = Static<typeof LoginResponse>;

export const ApiError = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String(),
});
export type ApiError = Static<typeof ApiError>;

export const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  version: Type.String(),
  uptimeSeconds: Type.Number(),
  mqtt: Type.Object({ connected: Type.Boolean() }),
  database: Type.Object({ ok: Type.Boolean() }),
  ingest: Type.Object({
    accepted: Type.Integer(),
    duplicates: Type.Integer(),
    rejected: Type.Integer(),
  }),
  timeSeries: TimeSeriesHealth,
});
export type Health = Static<typeof Health>;

export const WardKind = Type.Union([Type.Literal('care_home'), Type.Literal('virtual_ward')]);

export const Ward = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: WardKind,
  siteCode: Type.String(),
  bedCount: Type.Integer(),
});
export type Ward = Static<typeof Ward>;

export const PatientSummary = Type.Object({
  id: Type.String(),
  displayName: Type.String(),
  wardId: Type.Union([Type.String(), Type.Null()]),
  bedId: Type.Union([Type.String(), Type.Null()]),
  bedLabel: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});
export type PatientSummary = Static<typeof PatientSummary>;

/** The latest accepted observation of a kind, with when it was measured and received. */
export const LatestObservation = Type.Object({
  observation: Observation,
  receivedAt: Type.String(),
});
export type LatestObservation = Static<typeof LatestObservation>;

export const DeviceState = Type.Object({
  deviceId: Type.String(),
  model: Type.String(),
  gatewayId: Type.Union([Type.String(), Type.Null()]),
  status: Type.Union([DeviceStatus, Type.Null()]),
});
export type DeviceState = Static<typeof DeviceState>;

export const BedState = Type.Object({
  bedId: Type.String(),
  label: Type.String(),
  wardId: Type.String(),
  patient: Type.Union([PatientSummary, Type.Null()]),
  latest: Type.Record(Type.String(), LatestObservation),
  devices: Type.Array(DeviceState),
  gateway: Type.Union([
    Type.Object({ id: Type.String(), status: Type.Union([GatewayStatus, Type.Null()]) }),
    Type.Null(),
  ]),
});
export type BedState = Static<typeof BedState>;

export const Assignment = Type.Object({
  deviceId: Type.String(),
  patientId: Type.String(),
  assignedAt: Type.String(),
  assignedBy: Type.String(),
});
export type Assignment = Static<typeof Assignment>;

export const DeadLetter = Type.Object({
  id: Type.Integer(),
  receivedAt: Type.String(),
  topic: Type.String(),
  code: Type.String(),
  detail: Type.String(),
  /** The rejected payload (or observation), truncated to a bounded size. */
  payload: Type.String(),
  payloadBytes: Type.Integer(),
});
export type DeadLetter = Static<typeof DeadLetter>;

export const StoredObservation = Type.Object({
  observation: Observation,
  receivedAt: Type.String(),
  gatewayId: Type.String(),
});
export type StoredObservation = Static<typeof StoredObservation>;

/** A new observation, pushed to the room of the ward whose bed it belongs to. */
export interface ObservationEvent {
  wardId: string;
  bedId: string | null;
  patientId: string;
  observation: Observation;
  receivedAt: string;
}

export interface DeviceStatusEvent {
  wardId: string;
  bedId: string | null;
  status: DeviceStatus;
}

export interface GatewayStatusEvent {
  wardId: string;
  gatewayId: string;
  status: GatewayStatus;
}

/** A bed's occupant or devices changed (admission, discharge, device assignment). */
export interface BedChangedEvent {
  wardId: string;
  bedId: string;
  patient: PatientSummary | null;
}

export interface ServerToClientEvents {
  observation: (event: ObservationEvent) => void;
  deviceStatus: (event: DeviceStatusEvent) => void;
  gatewayStatus: (event: GatewayStatusEvent) => void;
  /** A new alert. */
  alert: (event: AlertEvent) => void;
  /** A later transition of an alert: acknowledged, resolved, escalated, re-notified, updated. */
  alertUpdate: (event: AlertEvent) => void;
  bedChanged: (event: BedChangedEvent) => void;
}

export type JoinWardAck = { ok: true } | { ok: false; code: string };

export interface ClientToServerEvents {
  joinWard: (wardId: string, ack: (result: JoinWardAck) => void) => void;
  leaveWard: (wardId: string) => void;
}

export function wardRoom(wardId: string): string {
  return `ward:${wardId}`;
}

export function patientRoom(patientId: string): string {
  return `patient:${patientId}`;
}
