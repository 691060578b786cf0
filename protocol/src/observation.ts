import Type, { type Static, type TSchema } from 'typebox';
import { MAX_BATCH_SIZE, MAX_SEQ } from './codes.js';
import { DEVICE_ID_PATTERN, UTC_TIMESTAMP_PATTERN, UUID_PATTERN } from './ids.js';
import { QUALITY_FLAGS, type QualityFlag } from './quality.js';

export type { QualityFlag } from './quality.js';
import { Unit } from './units.js';

/**
 * Observation kinds and their components. Each component is a quantity in its one canonical
 * unit, bounded by what a working sensor on a living person can report: anything outside is a
 * device or gateway fault and is rejected (OUT_OF_RANGE), not stored as a clinical value.
 */
export const ObservationKind = {
  bloodPressure: 'blood_pressure',
  spo2: 'spo2',
  bodyTemperature: 'body_temperature',
  heartRate: 'heart_rate',
  respirationRate: 'respiration_rate',
  fall: 'fall',
  helpRequest: 'help_request',
  /** A falls sensor: the wearer is upright again (after a fall). */
  upright: 'upright',
  /** A falls sensor: the wearer has not moved for the sensor's set time (after a fall: a long lie). */
  noMovement: 'no_movement',
  /** Staff entry: level of consciousness on the ACVPU scale (NEWS2). */
  consciousness: 'consciousness',
  /** Staff entry: breathing air or supplemental oxygen (NEWS2), with the flow if known. */
  inspiredOxygen: 'inspired_oxygen',
} as const;
export type ObservationKind = (typeof ObservationKind)[keyof typeof ObservationKind];
export const OBSERVATION_KINDS = Object.values(ObservationKind);

function quantity<U extends Unit>(unit: U, minimum: number, maximum: number) {
  return Type.Object(
    { value: Type.Number({ minimum, maximum }), unit: Type.Literal(unit) },
    { additionalProperties: false },
  );
}

export const Quantity = {
  systolic: quantity(Unit.mmHg, 40, 300),
  diastolic: quantity(Unit.mmHg, 20, 200),
  meanArterial: quantity(Unit.mmHg, 20, 250),
  pulseRate: quantity(Unit.bpm, 20, 300),
  spo2: quantity(Unit.percent, 40, 100),
  temperature: quantity(Unit.celsius, 25, 45),
  respirationRate: quantity(Unit.perMinute, 0, 80),
  confidence: quantity(Unit.percent, 0, 100),
  oxygenFlow: quantity(Unit.litresPerMinute, 0, 60),
};

/** Where a temperature was taken (BLE Health Thermometer temperature type, HTS 3.2). */
export const TemperatureSite = Type.Union(
  ['armpit', 'body', 'ear', 'finger', 'gastrointestinal', 'mouth', 'rectum', 'toe', 'tympanum'].map((s) =>
    Type.Literal(s),
  ),
);

export const valuesSchemas = {
  blood_pressure: Type.Object(
    {
      systolic: Quantity.systolic,
      diastolic: Quantity.diastolic,
      meanArterial: Type.Optional(Quantity.meanArterial),
      pulseRate: Type.Optional(Quantity.pulseRate),
    },
    { additionalProperties: false },
  ),
  spo2: Type.Object(
    { spo2: Quantity.spo2, pulseRate: Type.Optional(Quantity.pulseRate) },
    { additionalProperties: false },
  ),
  body_temperature: Type.Object(
    { temperature: Quantity.temperature, site: Type.Optional(TemperatureSite) },
    { additionalProperties: false },
  ),
  heart_rate: Type.Object(
    {
      heartRate: Quantity.pulseRate,
      rrIntervals: Type.Optional(
        Type.Object(
          {
            value: Type.Array(Type.Number({ minimum: 0, maximum: 65_535 }), { maxItems: 64 }),
            unit: Type.Literal(Unit.milliseconds),
          },
          { additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false },
  ),
  respiration_rate: Type.Object(
    { respirationRate: Quantity.respirationRate },
    { additionalProperties: false },
  ),
  fall: Type.Object({ confidence: Type.Optional(Quantity.confidence) }, { additionalProperties: false }),
  help_request: Type.Object({}, { additionalProperties: false }),
  upright: Type.Object({}, { additionalProperties: false }),
  no_movement: Type.Object({}, { additionalProperties: false }),
  consciousness: Type.Object(
    {
      acvpu: Type.Union([
        Type.Literal('A'),
        Type.Literal('C'),
        Type.Literal('V'),
        Type.Literal('P'),
        Type.Literal('U'),
      ]),
    },
    { additionalProperties: false },
  ),
  inspired_oxygen: Type.Object(
    { onOxygen: Type.Boolean(), flowRate: Type.Optional(Quantity.oxygenFlow) },
    { additionalProperties: false },
  ),
} satisfies Record<ObservationKind, TSchema>;

export const QualityFlagSchema = Type.Unsafe<QualityFlag>(
  Type.Union(QUALITY_FLAGS.map((flag) => Type.Literal(flag))),
);

const envelopeFields = {
  /**
   * Globally unique; assigned once where the reading was taken, so replays de-duplicate. A replay
   * must repeat the reading exactly: the same id with other content is refused (ID_CONFLICT) and
   * the stored reading kept.
   */
  id: Type.String({ pattern: UUID_PATTERN }),
  /**
   * A device registered on the server for the site in the topic, and, if the device is pinned to
   * one gateway of its site, sent by that gateway (else DEVICE_OUT_OF_SCOPE).
   */
  deviceId: Type.String({ pattern: DEVICE_ID_PATTERN }),
  /**
   * UTC time of measurement, from the device where it has a clock, else the gateway's. At most
   * MAX_CLOCK_SKEW_MS ahead of the server (TIMESTAMP_IN_FUTURE) and at most MAX_MEASUREMENT_AGE_MS
   * behind it (TIMESTAMP_TOO_OLD).
   */
  measuredAt: Type.String({ pattern: UTC_TIMESTAMP_PATTERN }),
  /** Per-gateway sequence number, increasing by one per observation taken; at most MAX_SEQ. */
  seq: Type.Integer({ minimum: 0, maximum: MAX_SEQ }),
  /** The device's quality flags, when it reported any (absent: none reported). */
  quality: Type.Optional(
    Type.Array(QualityFlagSchema, { maxItems: QUALITY_FLAGS.length, uniqueItems: true }),
  ),
};

/** The envelope alone, with the kind and values left open: checked before the kind's schema. */
export const ObservationEnvelope = Type.Object(
  { ...envelopeFields, kind: Type.String({ maxLength: 64 }), values: Type.Object({}) },
  { additionalProperties: false },
);

function observationOf<K extends ObservationKind>(kind: K) {
  return Type.Object(
    { ...envelopeFields, kind: Type.Literal(kind), values: valuesSchemas[kind] },
    { additionalProperties: false },
  );
}

export const Observation = Type.Union([
  observationOf('blood_pressure'),
  observationOf('spo2'),
  observationOf('body_temperature'),
  observationOf('heart_rate'),
  observationOf('respiration_rate'),
  observationOf('fall'),
  observationOf('help_request'),
  observationOf('upright'),
  observationOf('no_movement'),
  observationOf('consciousness'),
  observationOf('inspired_oxygen'),
]);
export type Observation = Static<typeof Observation>;
export type ObservationOfKind<K extends ObservationKind> = Extract<Observation, { kind: K }>;
export type ObservationValues<K extends ObservationKind> = ObservationOfKind<K>['values'];

export const OBSERVATION_BATCH_VERSION = 1;

/**
 * Loose outer shape: each observation is then checked on its own, so one bad one rejects alone.
 * The whole message is at most MAX_PAYLOAD_BYTES and nested at most MAX_JSON_DEPTH deep.
 */
export const ObservationBatchEnvelope = Type.Object(
  {
    v: Type.Integer(),
    sentAt: Type.String({ pattern: UTC_TIMESTAMP_PATTERN }),
    observations: Type.Array(Type.Unknown(), { minItems: 1, maxItems: MAX_BATCH_SIZE }),
  },
  { additionalProperties: false },
);

export interface ObservationBatch {
  v: typeof OBSERVATION_BATCH_VERSION;
  sentAt: string;
  observations: Observation[];
}

/** A fall and what the sensor says after it, and a help call: the events of a falls incident. */
export const URGENT_KINDS: ReadonlySet<string> = new Set<ObservationKind>([
  ObservationKind.fall,
  ObservationKind.helpRequest,
  ObservationKind.upright,
  ObservationKind.noMovement,
]);

/**
 * Observations that should overtake any backlog: a person may be on the floor. They, and only
 * they, travel on the urgent topic; any other kind there is refused (NOT_URGENT_KIND).
 */
export function isUrgentKind(kind: ObservationKind): boolean {
  return URGENT_KINDS.has(kind);
}
