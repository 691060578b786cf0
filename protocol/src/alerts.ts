import Type, { type Static } from 'typebox';

/**
 * Clinical alerting on the HTTP API and socket.io: alerts and their transitions, per-patient
 * thresholds, family contacts with consent, and staff-entered (manual) observations.
 */
export const AlertPriority = Type.Union([
  Type.Literal('critical'),
  Type.Literal('high'),
  Type.Literal('medium'),
  Type.Literal('low'),
]);
export type AlertPriority = Static<typeof AlertPriority>;

export const AlertState = Type.Union([
  Type.Literal('open'),
  Type.Literal('acknowledged'),
  Type.Literal('resolved'),
]);
export type AlertState = Static<typeof AlertState>;

export const ALERT_CONDITIONS = [
  'fall',
  'help_request',
  'no_movement',
  'post_fall_obs',
  'news2',
  'bp_high',
  'bp_low',
  'spo2_low',
  'reading_overdue',
  'device_silent',
  'gateway_offline',
  'battery_low',
  'reading_unreliable',
  'irregular_pulse',
] as const;
export type AlertCondition = (typeof ALERT_CONDITIONS)[number];

export const Alert = Type.Object({
  id: Type.Integer(),
  condition: Type.String(),
  priority: AlertPriority,
  state: AlertState,
  title: Type.String(),
  /** One line a nurse reads first; for a family member, the limited wording only. */
  message: Type.String(),
  patientId: Type.Union([Type.String(), Type.Null()]),
  wardId: Type.Union([Type.String(), Type.Null()]),
  deviceId: Type.Union([Type.String(), Type.Null()]),
  gatewayId: Type.Union([Type.String(), Type.Null()]),
  /** Clinical detail (readings, NEWS2 breakdown with ages); null where it may not be shown. */
  detail: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  openedAt: Type.String(),
  /** Measurement time of the reading that opened the alert, if a reading did. */
  triggerMeasuredAt: Type.Union([Type.String(), Type.Null()]),
  updatedAt: Type.String(),
  occurrences: Type.Integer(),
  level: Type.Integer(),
  levelName: Type.String(),
  nextEscalationAt: Type.Union([Type.String(), Type.Null()]),
  acknowledgedAt: Type.Union([Type.String(), Type.Null()]),
  acknowledgedBy: Type.Union([Type.String(), Type.Null()]),
  resolvedAt: Type.Union([Type.String(), Type.Null()]),
  resolvedBy: Type.Union([Type.String(), Type.Null()]),
  resolutionNote: Type.Union([Type.String(), Type.Null()]),
  limited: Type.Boolean(),
});
export type Alert = Static<typeof Alert>;

export const AlertTransition = Type.Object({
  id: Type.Integer(),
  at: Type.String(),
  type: Type.String(),
  actor: Type.String(),
  fromState: Type.Union([AlertState, Type.Null()]),
  toState: AlertState,
  level: Type.Integer(),
  note: Type.Union([Type.String(), Type.Null()]),
});
export type AlertTransition = Static<typeof AlertTransition>;

export const NotificationRecord = Type.Object({
  id: Type.Integer(),
  audience: Type.Union([Type.Literal('staff'), Type.Literal('family')]),
  channel: Type.Union([Type.Literal('email'), Type.Literal('webhook'), Type.Literal('sms')]),
  recipient: Type.String(),
  state: Type.String(),
  attempts: Type.Integer(),
  nextAttemptAt: Type.String(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  sentAt: Type.Union([Type.String(), Type.Null()]),
});
export type NotificationRecord = Static<typeof NotificationRecord>;

export const AlertWithHistory = Type.Object({
  alert: Alert,
  transitions: Type.Array(AlertTransition),
  notifications: Type.Array(NotificationRecord),
});
export type AlertWithHistory = Static<typeof AlertWithHistory>;

export type AlertEventType =
  'opened' | 'acknowledged' | 'resolved' | 'escalated' | 'renotified' | 'updated' | 'recurred';

/** Pushed to the ward room (staff) and, in limited form, to the patient room (family). */
export interface AlertEvent {
  type: AlertEventType;
  alert: Alert;
}

export const AcknowledgeRequest = Type.Object(
  { note: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);
export const ResolveRequest = Type.Object(
  { note: Type.String({ minLength: 1, maxLength: 2000 }) },
  { additionalProperties: false },
);

export const Thresholds = Type.Object(
  {
    /** NEWS2 SpO2 scale: 2 only for hypercapnic respiratory failure, prescribed by a clinician. */
    spo2Scale: Type.Union([Type.Literal(1), Type.Literal(2)]),
    systolicHigh: Type.Integer({ minimum: 100, maximum: 260 }),
    diastolicHigh: Type.Integer({ minimum: 60, maximum: 160 }),
    systolicLow: Type.Integer({ minimum: 60, maximum: 140 }),
    /** Alert below this SpO2 (%). Null: 92 on scale 1, 88 on scale 2. */
    spo2Low: Type.Union([Type.Integer({ minimum: 70, maximum: 99 }), Type.Null()]),
    /** Scheduled cuff readings per day (0: none scheduled, no overdue alerts). */
    bpReadingsPerDay: Type.Integer({ minimum: 0, maximum: 24 }),
    /** Consecutive readings needed to open or clear a threshold alert (debounce). */
    confirmReadings: Type.Integer({ minimum: 1, maximum: 5 }),
    batteryLow: Type.Integer({ minimum: 1, maximum: 50 }),
  },
  { additionalProperties: false },
);
export type Thresholds = Static<typeof Thresholds>;

export const ThresholdsUpdate = Type.Object(
  {
    // Named keys only, refused otherwise (not silently dropped): a misspelt threshold must not
    // look like a change that was made.
    changes: Type.Partial(Thresholds, {
      propertyNames: { enum: Object.keys(Thresholds.properties) },
    }),
    reason: Type.String({ minLength: 3, maxLength: 500 }),
  },
  { additionalProperties: false },
);
export type ThresholdsUpdate = Static<typeof ThresholdsUpdate>;

export const ThresholdChange = Type.Object({
  at: Type.String(),
  by: Type.String(),
  field: Type.String(),
  oldValue: Type.Unknown(),
  newValue: Type.Unknown(),
  reason: Type.String(),
});
export type ThresholdChange = Static<typeof ThresholdChange>;

export const PatientThresholds = Type.Object({
  patientId: Type.String(),
  thresholds: Thresholds,
  /** Fields still on the default. */
  defaults: Type.Array(Type.String()),
  history: Type.Array(ThresholdChange),
});
export type PatientThresholds = Static<typeof PatientThresholds>;

const HHMM = '^([01][0-9]|2[0-3]):[0-5][0-9]$';

export const FamilyContactInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
    phone: Type.Optional(Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$' })),
    /** A family user account this contact signs in as, if any. */
    username: Type.Optional(Type.String({ maxLength: 128 })),
    timeZone: Type.String({ minLength: 1, maxLength: 64 }),
    quietHours: Type.Union([
      Type.Object(
        { start: Type.String({ pattern: HHMM }), end: Type.String({ pattern: HHMM }) },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
    consent: Type.Object(
      {
        /** May be told about falls and help calls at all (limited wording). */
        notify: Type.Boolean(),
        /** May be told clinical detail (readings, scores) and about clinical alerts. */
        clinicalDetail: Type.Boolean(),
        /** Falls and help calls may reach them during their quiet hours. */
        fallsDuringQuietHours: Type.Boolean(),
      },
      { additionalProperties: false },
    ),
    /** Where the consent came from (for example "verbal, recorded by phone"). */
    consentNote: Type.String({ minLength: 1, maxLength: 500 }),
  },
  { additionalProperties: false },
);
export type FamilyContactInput = Static<typeof FamilyContactInput>;

export const FamilyContact = Type.Intersect([
  FamilyContactInput,
  Type.Object({
    id: Type.Integer(),
    patientId: Type.String(),
    consentRecordedAt: Type.String(),
    consentRecordedBy: Type.String(),
  }),
]);
export type FamilyContact = FamilyContactInput & {
  id: number;
  patientId: string;
  consentRecordedAt: string;
  consentRecordedBy: string;
};

/** Staff-entered observations (NEWS2 parameters the devices do not measure, or taken by hand). */
export const ManualObservationRequest = Type.Object(
  {
    measuredAt: Type.Optional(Type.String({ format: 'date-time' })),
    respirationRate: Type.Optional(Type.Number({ minimum: 0, maximum: 80 })),
    consciousness: Type.Optional(
      Type.Union([
        Type.Literal('A'),
        Type.Literal('C'),
        Type.Literal('V'),
        Type.Literal('P'),
        Type.Literal('U'),
      ]),
    ),
    onOxygen: Type.Optional(Type.Boolean()),
    oxygenFlowRate: Type.Optional(Type.Number({ minimum: 0, maximum: 60 })),
    spo2: Type.Optional(Type.Number({ minimum: 40, maximum: 100 })),
    systolic: Type.Optional(Type.Number({ minimum: 40, maximum: 300 })),
    diastolic: Type.Optional(Type.Number({ minimum: 20, maximum: 200 })),
    pulse: Type.Optional(Type.Number({ minimum: 20, maximum: 300 })),
    temperature: Type.Optional(Type.Number({ minimum: 25, maximum: 45 })),
  },
  { additionalProperties: false },
);
export type ManualObservationRequest = Static<typeof ManualObservationRequest>;

export const News2Parameter = Type.Object({
  parameter: Type.String(),
  value: Type.Union([Type.Number(), Type.String(), Type.Boolean()]),
  score: Type.Integer(),
  measuredAt: Type.String(),
  ageMinutes: Type.Integer(),
  source: Type.String(),
});

export const News2Summary = Type.Object({
  patientId: Type.String(),
  at: Type.String(),
  score: Type.Integer(),
  complete: Type.Boolean(),
  risk: Type.String(),
  spo2Scale: Type.Integer(),
  parameters: Type.Array(News2Parameter),
  missing: Type.Array(Type.String()),
  /** The missing list in words ("respiration rate and SpO2 not recorded"); null when complete. */
  missingText: Type.Union([Type.String(), Type.Null()]),
  /** Parameters with a reading too old to use: shown as missing, with the age they had. */
  stale: Type.Array(Type.Object({ parameter: Type.String(), measuredAt: Type.String() })),
});
export type News2Summary = Static<typeof News2Summary>;

/** `GET /api/wards/:wardId/news2`: the NEWS2 summary of every resident of a ward, by patient id. */
export const WardNews2 = Type.Object({
  wardId: Type.String(),
  scores: Type.Record(Type.String(), News2Summary),
});
export type WardNews2 = Static<typeof WardNews2>;
