import Type, { type Static } from 'typebox';
import { RoleSchema, StaffRoleSchema, WardKind } from './api.js';
import { DEVICE_ID_PATTERN, SEGMENT_PATTERN } from './ids.js';

/**
 * The contract for running Wardline as an organisation: organisations, sites, wards and beds;
 * patients with their identifiers and admissions; staff; gateway kits; onboarding; the audit.
 * Nothing here travels over MQTT: topics and payloads stay pseudonymous.
 */

const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Name = Type.String({ minLength: 1, maxLength: 120 });
const Id = Type.String({ minLength: 1, maxLength: 128 });

export const Organisation = Type.Object({
  id: Type.String(),
  name: Type.String(),
  /** Admins of this organisation must use a second factor (TOTP) to sign in. */
  requireAdminTotp: Type.Boolean(),
  createdAt: Type.String(),
  closedAt: Nullable(Type.String()),
});
export type Organisation = Static<typeof Organisation>;

/** An operator creates an organisation together with the invitation of its first admin. */
export const CreateOrganisationRequest = Type.Object(
  {
    name: Name,
    admin: Type.Object(
      { email: Type.String({ format: 'email', maxLength: 254 }), displayName: Name },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type CreateOrganisationRequest = Static<typeof CreateOrganisationRequest>;

export const UpdateOrganisationRequest = Type.Object(
  { name: Type.Optional(Name), requireAdminTotp: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export type UpdateOrganisationRequest = Static<typeof UpdateOrganisationRequest>;

/** A care home or a virtual-ward hub. Its code is the MQTT site segment: opaque, unique on the server. */
export const Site = Type.Object({
  id: Type.String(),
  organisationId: Type.String(),
  code: Type.String(),
  name: Type.String(),
  kind: WardKind,
  createdAt: Type.String(),
  closedAt: Nullable(Type.String()),
});
export type Site = Static<typeof Site>;

export const CreateSiteRequest = Type.Object(
  { name: Name, kind: WardKind, code: Type.String({ pattern: SEGMENT_PATTERN }) },
  { additionalProperties: false },
);
export type CreateSiteRequest = Static<typeof CreateSiteRequest>;
export const RenameRequest = Type.Object({ name: Name }, { additionalProperties: false });
export type RenameRequest = Static<typeof RenameRequest>;

export const CreateWardRequest = Type.Object(
  {
    siteId: Id,
    name: Name,
    /** Beds to create with the ward, labelled `{bedLabelPrefix} 1..n`. */
    beds: Type.Optional(Type.Integer({ minimum: 0, maximum: 500 })),
    bedLabelPrefix: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
  },
  { additionalProperties: false },
);
export type CreateWardRequest = Static<typeof CreateWardRequest>;

export const Bed = Type.Object({
  id: Type.String(),
  wardId: Type.String(),
  label: Type.String(),
  sortOrder: Type.Integer(),
  closedAt: Nullable(Type.String()),
  /** The patient in the bed now, if any. */
  patientId: Nullable(Type.String()),
});
export type Bed = Static<typeof Bed>;

export const CreateBedsRequest = Type.Object(
  { labels: Type.Array(Type.String({ minLength: 1, maxLength: 40 }), { minItems: 1, maxItems: 500 }) },
  { additionalProperties: false },
);
export type CreateBedsRequest = Static<typeof CreateBedsRequest>;

/** An NHS number: ten digits, the last a modulus 11 check digit (see nhs-number.ts). */
export const NHS_NUMBER_PATTERN = '^[0-9]{10}$';
/** An ODS organisation code, e.g. a GP practice: A12345. */
export const ODS_CODE_PATTERN = '^[A-Z0-9]{3,10}$';
export const DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$';

export const NextOfKin = Type.Object(
  {
    name: Name,
    relationship: Type.String({ minLength: 1, maxLength: 60 }),
    phone: Type.Optional(Type.String({ maxLength: 40 })),
    email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
  },
  { additionalProperties: false },
);
export type NextOfKin = Static<typeof NextOfKin>;

/** What identifies and describes a patient; all but the name optional (not everyone has an NHS number). */
export const PatientDetails = Type.Object(
  {
    displayName: Name,
    preferredName: Type.Optional(Nullable(Type.String({ maxLength: 120 }))),
    nhsNumber: Type.Optional(Nullable(Type.String({ pattern: NHS_NUMBER_PATTERN }))),
    dateOfBirth: Type.Optional(Nullable(Type.String({ pattern: DATE_PATTERN }))),
    gpPracticeOds: Type.Optional(Nullable(Type.String({ pattern: ODS_CODE_PATTERN }))),
    nextOfKin: Type.Optional(Nullable(NextOfKin)),
  },
  { additionalProperties: false },
);
export type PatientDetails = Static<typeof PatientDetails>;

export const Admission = Type.Object({
  id: Type.Integer(),
  wardId: Type.String(),
  wardName: Type.String(),
  bedId: Type.String(),
  bedLabel: Type.String(),
  admittedAt: Type.String(),
  admittedBy: Type.String(),
  dischargedAt: Nullable(Type.String()),
  dischargedBy: Nullable(Type.String()),
});
export type Admission = Static<typeof Admission>;

export const PatientRecord = Type.Object({
  id: Type.String(),
  organisationId: Type.String(),
  displayName: Type.String(),
  preferredName: Nullable(Type.String()),
  nhsNumber: Nullable(Type.String()),
  dateOfBirth: Nullable(Type.String()),
  gpPracticeOds: Nullable(Type.String()),
  nextOfKin: Nullable(NextOfKin),
  wardId: Nullable(Type.String()),
  bedId: Nullable(Type.String()),
  bedLabel: Nullable(Type.String()),
  admissions: Type.Array(Admission),
});
export type PatientRecord = Static<typeof PatientRecord>;

/** A patient as search results list them (GET /api/patients): a PatientSummary and identifiers. */
export const PatientListItem = Type.Object({
  id: Type.String(),
  displayName: Type.String(),
  wardId: Nullable(Type.String()),
  bedId: Nullable(Type.String()),
  bedLabel: Nullable(Type.String()),
  preferredName: Nullable(Type.String()),
  nhsNumber: Nullable(Type.String()),
  dateOfBirth: Nullable(Type.String()),
  admittedAt: Nullable(Type.String()),
  dischargedAt: Nullable(Type.String()),
});
export type PatientListItem = Static<typeof PatientListItem>;

/** Re-admit a discharged patient to a free bed. */
export const ReadmitRequest = Type.Object({ bedId: Id }, { additionalProperties: false });
export type ReadmitRequest = Static<typeof ReadmitRequest>;

/** Edit a patient's details: fields left out stay as they are, null clears one. */
export const UpdatePatientRequest = Type.Partial(PatientDetails, { additionalProperties: false });
export type UpdatePatientRequest = Static<typeof UpdatePatientRequest>;

/** Admit a new patient (details) or re-admit a known one (patientId) to a free bed. */
export const AdmitPatientRequest = Type.Object(
  {
    bedId: Id,
    ...PatientDetails.properties,
  },
  { additionalProperties: false },
);
export type AdmitPatientRequest = Static<typeof AdmitPatientRequest>;

export const PatientSearchQuery = Type.Object({
  /** A name (any part) or an NHS number (spaces allowed). */
  q: Type.Optional(Type.String({ maxLength: 120 })),
  includeDischarged: Type.Optional(Type.Boolean()),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
});
export type PatientSearchQuery = Static<typeof PatientSearchQuery>;

export const StaffAccount = Type.Object({
  username: Type.String(),
  displayName: Type.String(),
  email: Nullable(Type.String()),
  role: RoleSchema,
  organisationId: Nullable(Type.String()),
  /** Null: every ward of the organisation. */
  wardIds: Nullable(Type.Array(Type.String())),
  disabledAt: Nullable(Type.String()),
  /** Invited and not yet set a password. */
  pending: Type.Boolean(),
  totpEnabled: Type.Boolean(),
  /** Identity providers the account is linked to. */
  federated: Type.Array(Type.String()),
  createdAt: Type.String(),
});
export type StaffAccount = Static<typeof StaffAccount>;

export const InviteStaffRequest = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254 }),
    displayName: Name,
    role: StaffRoleSchema,
    wardIds: Type.Optional(Nullable(Type.Array(Id, { maxItems: 200 }))),
    /** Without an invitation e-mail: the admin hands the one-time link over (returned once). */
    sendEmail: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type InviteStaffRequest = Static<typeof InviteStaffRequest>;

export const UpdateStaffRequest = Type.Object(
  {
    displayName: Type.Optional(Name),
    role: Type.Optional(StaffRoleSchema),
    wardIds: Type.Optional(Nullable(Type.Array(Id, { maxItems: 200 }))),
  },
  { additionalProperties: false },
);
export type UpdateStaffRequest = Static<typeof UpdateStaffRequest>;

/** A one-time link to set a password: returned to the admin only when no e-mail was sent. */
export const AccountLinkResponse = Type.Object({
  account: StaffAccount,
  emailed: Type.Boolean(),
  link: Type.Optional(Type.String()),
  expiresAt: Type.String(),
});
export type AccountLinkResponse = Static<typeof AccountLinkResponse>;

export const SetPasswordRequest = Type.Object(
  { token: Type.String({ minLength: 16, maxLength: 128 }), password: Type.String({ maxLength: 256 }) },
  { additionalProperties: false },
);
export type SetPasswordRequest = Static<typeof SetPasswordRequest>;

/** A gateway kit: a hub (one MQTT identity, `{siteCode}.{gatewayCode}`) and its devices. */
export const Kit = Type.Object({
  id: Type.String(),
  organisationId: Type.String(),
  siteId: Type.String(),
  siteCode: Type.String(),
  gatewayCode: Type.String(),
  /** The hub's MQTT user name (and client id). */
  username: Type.String(),
  label: Type.String(),
  /** Issued to a patient's home; null: the site's own hub. */
  patientId: Nullable(Type.String()),
  devices: Type.Array(Type.Object({ id: Type.String(), model: Type.String() })),
  createdAt: Type.String(),
  revokedAt: Nullable(Type.String()),
  /** Secrets that may connect now, newest first: more than one while a rotation overlaps. */
  credentials: Type.Array(
    Type.Object({ id: Type.Integer(), createdAt: Type.String(), notAfter: Nullable(Type.String()) }),
  ),
});
export type Kit = Static<typeof Kit>;

export const KitDeviceInput = Type.Object(
  {
    id: Type.String({ pattern: DEVICE_ID_PATTERN }),
    model: Type.String({ minLength: 1, maxLength: 64 }),
  },
  { additionalProperties: false },
);

export const RegisterKitRequest = Type.Object(
  {
    siteId: Id,
    label: Name,
    /** Defaults to a random code: a gateway code must never identify a person. */
    gatewayCode: Type.Optional(Type.String({ pattern: SEGMENT_PATTERN })),
    devices: Type.Array(KitDeviceInput, { maxItems: 32 }),
    patientId: Type.Optional(Nullable(Id)),
  },
  { additionalProperties: false },
);
export type RegisterKitRequest = Static<typeof RegisterKitRequest>;

/**
 * What `wardline-gateway --provisioning <file>` reads: the hub's identity, its one secret, where the
 * broker is and which devices to read. Shown once, never stored in the clear.
 */
export const PROVISIONING_FORMAT = 'wardline-gateway-provisioning/1';
export const ProvisioningFile = Type.Object({
  format: Type.Literal(PROVISIONING_FORMAT),
  /** The first broker; kept for gateways that read only this. */
  mqttUrl: Type.String(),
  /** Every broker, in the order tried (the first is mqttUrl); absent: mqttUrl alone. */
  mqttUrls: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
  username: Type.String(),
  password: Type.String(),
  site: Type.String({ pattern: SEGMENT_PATTERN }),
  gateway: Type.String({ pattern: SEGMENT_PATTERN }),
  devices: Type.Array(Type.Object({ id: Type.String(), model: Type.String() })),
  issuedAt: Type.String(),
});
export type ProvisioningFile = Static<typeof ProvisioningFile>;

export const KitCredentialsResponse = Type.Object({ kit: Kit, provisioning: ProvisioningFile });
export type KitCredentialsResponse = Static<typeof KitCredentialsResponse>;

export const RotateKitRequest = Type.Object(
  { overlapMinutes: Type.Integer({ minimum: 0, maximum: 7 * 24 * 60, default: 60 }) },
  { additionalProperties: false },
);
export type RotateKitRequest = Static<typeof RotateKitRequest>;

export const IssueKitRequest = Type.Object({ patientId: Id }, { additionalProperties: false });
export type IssueKitRequest = Static<typeof IssueKitRequest>;

/**
 * The broker's replica of gateway credentials: every user name changed since `version`, with the
 * whole current state of each (no secrets: hashes only).
 */
export const BrokerCredentialFeed = Type.Object({
  version: Type.Integer(),
  users: Type.Array(
    Type.Object({
      username: Type.String(),
      site: Type.String(),
      gateway: Type.String(),
      /** Empty: the user may not connect (revoked, or never issued); connections are cut. */
      secrets: Type.Array(Type.Object({ hash: Type.String(), notAfter: Nullable(Type.String()) })),
    }),
  ),
});
export type BrokerCredentialFeed = Static<typeof BrokerCredentialFeed>;

export const AuditEvent = Type.Object({
  id: Type.Integer(),
  at: Type.String(),
  organisationId: Nullable(Type.String()),
  actor: Type.String(),
  actorRole: Nullable(Type.String()),
  /** `{thing}.{verb}`, e.g. patient.view, patient.admit, kit.revoke, staff.invite, audit.export. */
  action: Type.String(),
  patientId: Nullable(Type.String()),
  targetType: Nullable(Type.String()),
  targetId: Nullable(Type.String()),
  address: Nullable(Type.String()),
  detail: Nullable(Type.Record(Type.String(), Type.Unknown())),
});
export type AuditEvent = Static<typeof AuditEvent>;

export const AuditQuery = Type.Object({
  patientId: Type.Optional(Id),
  actor: Type.Optional(Type.String({ maxLength: 128 })),
  action: Type.Optional(Type.String({ maxLength: 64 })),
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }),
  /** Events with ids below this (paging, newest first). */
  before: Type.Optional(Type.Integer({ minimum: 1 })),
});
export type AuditQuery = Static<typeof AuditQuery>;

/** A CSV import's verdict: all rows stored, or none and every row's problems. */
export const ImportResult = Type.Object({
  imported: Type.Boolean(),
  rows: Type.Integer(),
  created: Type.Object({
    wards: Type.Integer(),
    beds: Type.Integer(),
    patients: Type.Integer(),
    devices: Type.Integer(),
  }),
  errors: Type.Array(
    Type.Object({ row: Type.Integer(), column: Nullable(Type.String()), message: Type.String() }),
  ),
});
export type ImportResult = Static<typeof ImportResult>;

/** A kit's page: the kit, its hub's last status (with the outbox backlog), its devices and issues. */
export const KitPage = Type.Object({
  kit: Kit,
  hub: Type.Object({
    state: Nullable(Type.Union([Type.Literal('online'), Type.Literal('offline')])),
    /** When the server last heard the hub's status. */
    statusAt: Nullable(Type.String()),
    software: Nullable(Type.String()),
    /** Readings waiting in the hub's outbox, as last reported; null when it does not say. */
    outboxPending: Nullable(Type.Integer()),
    outboxCapacity: Nullable(Type.Integer()),
  }),
  devices: Type.Array(
    Type.Object({
      id: Type.String(),
      model: Type.String(),
      connected: Nullable(Type.Boolean()),
      batteryPercent: Nullable(Type.Number()),
      lastSeen: Nullable(Type.String()),
      /** Whom its readings go to now. */
      patientId: Nullable(Type.String()),
    }),
  ),
  issues: Type.Array(
    Type.Object({
      patientId: Type.String(),
      issuedAt: Type.String(),
      issuedBy: Type.String(),
      returnedAt: Nullable(Type.String()),
      returnedBy: Nullable(Type.String()),
    }),
  ),
});
export type KitPage = Static<typeof KitPage>;
