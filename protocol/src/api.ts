import Type, { type Static } from 'typebox';
import { TimeSeriesHealth } from './history.js';
import { Observation } from './observation.js';
import { AlertState, News2Summary, type AlertEvent } from './alerts.js';
import type { News2Event } from './news2-history.js';
import { BedFallsRisk, type FallsRiskEvent } from './bp.js';
import { DeviceStatus, GatewayStatus } from './status.js';
import { DEVICE_ID_PATTERN, SEGMENT_PATTERN } from './ids.js';

/**
 * The HTTP API and socket.io contract between the server and its clients (dashboard, tests,
 * integrations). Schemas double as fastify route schemas and as the clients' static types.
 */
/**
 * Who someone is to Wardline. Staff roles (nurse, nurse in charge, admin) and family belong to one
 * organisation; an operator runs the server (creates organisations, invites their first admins) and
 * sees no one's clinical record.
 */
export const Role = {
  nurse: 'nurse',
  nurseInCharge: 'nurse_in_charge',
  admin: 'admin',
  family: 'family',
  operator: 'operator',
} as const;
export type Role = (typeof Role)[keyof typeof Role];
export const RoleSchema = Type.Union([
  Type.Literal('nurse'),
  Type.Literal('nurse_in_charge'),
  Type.Literal('admin'),
  Type.Literal('family'),
  Type.Literal('operator'),
]);
/** Roles of an organisation's staff, most to least privileged. */
export const STAFF_ROLES = ['admin', 'nurse_in_charge', 'nurse'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];
// Spelled out: a mapped array loses the literal types (Static<> would be never).
export const StaffRoleSchema = Type.Union([
  Type.Literal('admin'),
  Type.Literal('nurse_in_charge'),
  Type.Literal('nurse'),
]);

export const SESSION_COOKIE = 'wardline_session';

export const LoginRequest = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 128 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
    /** The TOTP code, for an account with a second factor. */
    totp: Type.Optional(Type.String({ pattern: '^[0-9]{6}$' })),
  },
  { additionalProperties: false },
);
export type LoginRequest = Static<typeof LoginRequest>;

export const SessionUser = Type.Object({
  username: Type.String(),
  role: RoleSchema,
  displayName: Type.String(),
  /** The organisation whose records the user works with; null for an operator. */
  organisationId: Type.Union([Type.String(), Type.Null()]),
  /** Wards a staff member is limited to; null: every ward of the organisation. */
  wardIds: Type.Union([Type.Array(Type.String()), Type.Null()]),
});
export type SessionUser = Static<typeof SessionUser>;

export const LoginResponse = Type.Object({
  token: Type.String(),
  user: SessionUser,
  /** enrol-required: the session may only enrol a TOTP second factor (organisation policy for admins). */
  secondFactor: Type.Optional(
    Type.Union([Type.Literal('none'), Type.Literal('totp'), Type.Literal('enrol-required')]),
  ),
});
export type LoginResponse = Static<typeof LoginResponse>;

/** What a sign-in attempt came to; every attempt is recorded with the name tried and the address. */
export const SignInOutcome = Type.Union([
  Type.Literal('success'),
  Type.Literal('failure'),
  Type.Literal('locked'),
]);
export type SignInOutcome = Static<typeof SignInOutcome>;

/** A user name or a client address whose sign-in failures are being throttled. */
export const SignInLock = Type.Object({
  kind: Type.Union([Type.Literal('user'), Type.Literal('address')]),
  /** The user name tried (which need not exist) or the client address. */
  subject: Type.String(),
  failures: Type.Integer(),
  lastFailureAt: Type.String(),
  /** Null: failures counted but no lock (yet, or any more). */
  lockedUntil: Type.Union([Type.String(), Type.Null()]),
});
export type SignInLock = Static<typeof SignInLock>;

export const SignInEvent = Type.Object({
  id: Type.Integer(),
  at: Type.String(),
  username: Type.String(),
  address: Type.Union([Type.String(), Type.Null()]),
  outcome: SignInOutcome,
  code: Type.Union([Type.String(), Type.Null()]),
});
export type SignInEvent = Static<typeof SignInEvent>;

export const SignInEventQuery = Type.Object({
  username: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  before: Type.Optional(Type.Integer({ minimum: 1 })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
});
export type SignInEventQuery = Static<typeof SignInEventQuery>;

/**
 * GET /api/alerts. `state`: one state, `unresolved` (open or acknowledged), or `all` (the same as
 * leaving it out).
 */
export const AlertListState = Type.Union([AlertState, Type.Literal('unresolved'), Type.Literal('all')]);
export type AlertListState = Static<typeof AlertListState>;
export const AlertListQuery = Type.Object({
  state: Type.Optional(AlertListState),
  wardId: Type.Optional(Type.String({ maxLength: 128 })),
  patientId: Type.Optional(Type.String({ maxLength: 128 })),
  condition: Type.Optional(Type.String({ maxLength: 64 })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }),
});
export type AlertListQuery = Static<typeof AlertListQuery>;

export const UsernameParams = Type.Object({ username: Type.String({ minLength: 1, maxLength: 128 }) });
export type UsernameParams = Static<typeof UsernameParams>;

export const AddressParams = Type.Object({ address: Type.String({ minLength: 1, maxLength: 64 }) });
export type AddressParams = Static<typeof AddressParams>;

/** A staff or family account as an administrator sees it (never the password hash). */
export const UserAccount = Type.Object({
  username: Type.String(),
  role: RoleSchema,
  displayName: Type.String(),
  /** When an administrator disabled the account; null while it may sign in. */
  disabledAt: Type.Union([Type.String(), Type.Null()]),
});
export type UserAccount = Static<typeof UserAccount>;

export const ApiError = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String(),
});
export type ApiError = Static<typeof ApiError>;

/** One of the server's MQTT sessions (the main one, the urgent lane's) as ingest sees it. */
export const IngestSessionHealth = Type.Object({
  /** The session's MQTT client id. */
  session: Type.String(),
  state: Type.Union([
    Type.Literal('connecting'),
    Type.Literal('connected'),
    Type.Literal('refused'),
    Type.Literal('disconnected'),
    Type.Literal('closed'),
  ]),
  /** Messages the broker handed over that are not stored (or dead-lettered) yet. */
  waiting: Type.Integer(),
  /** Seconds since ingest last made progress while messages waited; 0 when nothing waits. */
  lagSeconds: Type.Number(),
  stalled: Type.Boolean(),
  /** The broker's last refusal of this session (CONNACK return or reason code), while it lasts. */
  refusal: Type.Optional(
    Type.Object({
      code: Type.Integer(),
      reason: Type.String(),
      since: Type.String(),
      attempts: Type.Integer(),
    }),
  ),
  /** The storage error holding messages back, while storage fails. */
  storageError: Type.Optional(Type.Object({ code: Type.String(), since: Type.String() })),
});
export type IngestSessionHealth = Static<typeof IngestSessionHealth>;

export const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  /** Why the status is degraded, in words an operator can act on; empty when ok. */
  reasons: Type.Optional(Type.Array(Type.String())),
  version: Type.String(),
  uptimeSeconds: Type.Number(),
  mqtt: Type.Object({
    connected: Type.Boolean(),
    sessions: Type.Optional(Type.Array(IngestSessionHealth)),
  }),
  database: Type.Object({ ok: Type.Boolean() }),
  ingest: Type.Object({
    accepted: Type.Integer(),
    duplicates: Type.Integer(),
    rejected: Type.Integer(),
    /** Attempts to handle a message that failed for its content (retried, then dead-lettered). */
    contentFailures: Type.Optional(Type.Integer()),
    /** Attempts to store a message that failed for storage (held back and retried). */
    storageFailures: Type.Optional(Type.Integer()),
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
  /**
   * To a family user only: whether their contact record consents to clinical detail (readings,
   * scores), and when the newest reading was taken, which is all they are told without it.
   */
  family: Type.Optional(
    Type.Object({
      clinicalDetail: Type.Boolean(),
      lastReadingAt: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
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
  /** The gateway code the device is pinned to; null: any gateway of its site (device list only). */
  pinnedGateway: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});
export type DeviceState = Static<typeof DeviceState>;

/**
 * Registers a device for a site. Its readings, status and falls are then accepted only from the
 * gateways of that site, or only from `gatewayCode` when given (a device that lives in one home);
 * from anywhere else they are refused (DEVICE_OUT_OF_SCOPE).
 */
export const DeviceRegistration = Type.Object(
  {
    deviceId: Type.String({ pattern: DEVICE_ID_PATTERN }),
    model: Type.String({ minLength: 1, maxLength: 64 }),
    siteCode: Type.String({ pattern: SEGMENT_PATTERN }),
    gatewayCode: Type.Optional(Type.String({ pattern: SEGMENT_PATTERN })),
  },
  { additionalProperties: false },
);
export type DeviceRegistration = Static<typeof DeviceRegistration>;

/** Pins a registered device to one gateway of its site, or (null) lets any of them carry it. */
export const DeviceGatewayPin = Type.Object(
  { gatewayCode: Type.Union([Type.String({ pattern: SEGMENT_PATTERN }), Type.Null()]) },
  { additionalProperties: false },
);
export type DeviceGatewayPin = Static<typeof DeviceGatewayPin>;

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
  /**
   * The resident's NEWS2 now (null for an empty bed); the live feed's `news2` event updates it.
   * Always sent by the server; optional for clients' own bed states built from other sources.
   */
  news2: Type.Optional(Type.Union([News2Summary, Type.Null()])),
  /**
   * The falls-risk flag from the resident's latest postural test; null when never tested or an
   * empty bed. The live feed's `fallsRisk` event updates it. Optional as `news2` is.
   */
  fallsRisk: Type.Optional(Type.Union([BedFallsRisk, Type.Null()])),
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

/** A new observation of a resident in a ward (alone to a patient room, batched to a ward room). */
export interface ObservationEvent {
  wardId: string;
  bedId: string | null;
  patientId: string;
  observation: Observation;
  receivedAt: string;
}

/**
 * The new observations of one ward from one committed group, in commit order: what a ward room
 * gets in place of one `observation` event per reading, so that a dashboard renders once per group.
 */
export interface ObservationBatchEvent {
  wardId: string;
  observations: ObservationEvent[];
}

/**
 * That a reading arrived, without its values: what a family member without consent to clinical
 * detail is sent in place of `observation`, to their relative's room.
 */
export interface ReadingArrivedEvent {
  patientId: string;
  measuredAt: string;
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
  /** One reading, to a family member's patient room (as their consent allows). */
  observation: (event: ObservationEvent) => void;
  /** A committed group's readings for one ward, to that ward's room. */
  observations: (event: ObservationBatchEvent) => void;
  readingArrived: (event: ReadingArrivedEvent) => void;
  deviceStatus: (event: DeviceStatusEvent) => void;
  gatewayStatus: (event: GatewayStatusEvent) => void;
  /** A new alert. */
  alert: (event: AlertEvent) => void;
  /** A later transition of an alert: acknowledged, resolved, escalated, re-notified, updated. */
  alertUpdate: (event: AlertEvent) => void;
  bedChanged: (event: BedChangedEvent) => void;
  /** A resident's NEWS2 changed (score, risk or completeness): to the ward room only. */
  news2: (event: News2Event) => void;
  /** A resident's postural test was recorded (the bed's falls-risk flag): to the ward room only. */
  fallsRisk: (event: FallsRiskEvent) => void;
  /**
   * The replica this socket is connected to may have missed live updates from the others (its link
   * to them through the database was down): reload what is on screen, as after a reconnection.
   */
  resync: () => void;
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
