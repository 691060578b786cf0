import { Compile } from 'typebox/compile';
import type { TLocalizedValidationError } from 'typebox/error';
import {
  MAX_BATCH_SIZE,
  MAX_CLOCK_SKEW_MS,
  MAX_JSON_DEPTH,
  MAX_MEASUREMENT_AGE_MS,
  MAX_PAYLOAD_BYTES,
  MAX_SEQ,
  RejectionCode,
} from './codes.js';
import { jsonNestingExceeds } from './json.js';
import {
  OBSERVATION_BATCH_VERSION,
  OBSERVATION_KINDS,
  ObservationBatchEnvelope,
  ObservationEnvelope,
  isUrgentKind,
  valuesSchemas,
  type Observation,
  type ObservationKind,
} from './observation.js';
import { DeviceStatusBatch, GatewayStatus, STATUS_VERSION, type DeviceStatus } from './status.js';

export interface Rejection {
  code: RejectionCode;
  detail: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; rejection: Rejection };

const reject = (code: RejectionCode, detail: string): { ok: false; rejection: Rejection } => ({
  ok: false,
  rejection: { code, detail },
});

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Size, UTF-8, nesting and JSON checks shared by every channel, cheapest first: nothing is parsed
 * that is too large or nested deeper than MAX_JSON_DEPTH, so no later step (schema checks,
 * dead-letter copies) ever meets a value that could exhaust the stack.
 */
export function decodeJsonPayload(payload: Uint8Array | string): Result<unknown> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_PAYLOAD_BYTES) {
    return reject(RejectionCode.payloadTooLarge, `${size} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
  }
  let text: string;
  try {
    text = typeof payload === 'string' ? payload : utf8.decode(payload);
  } catch {
    return reject(RejectionCode.malformedJson, 'payload is not valid UTF-8');
  }
  if (jsonNestingExceeds(text, MAX_JSON_DEPTH)) {
    return reject(RejectionCode.nestingTooDeep, `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return reject(RejectionCode.malformedJson, (err as Error).message.slice(0, 200));
  }
}

function describe(errors: TLocalizedValidationError[]): string {
  return errors
    .filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'boolean')
    .slice(0, 3)
    .map((e) => `${e.instancePath || '/'} ${e.message}`)
    .join('; ');
}

/** Picks the most specific code: a wrong unit or an implausible value says more than "schema". */
function classify(errors: TLocalizedValidationError[]): RejectionCode {
  if (errors.some((e) => e.instancePath.endsWith('/unit') && e.keyword === 'const'))
    return RejectionCode.wrongUnit;
  if (
    errors.some(
      (e) => e.instancePath.endsWith('/value') && (e.keyword === 'minimum' || e.keyword === 'maximum'),
    )
  ) {
    return RejectionCode.outOfRange;
  }
  return RejectionCode.schemaViolation;
}

const envelopeCheck = Compile(ObservationEnvelope);
const valuesChecks = Object.fromEntries(
  OBSERVATION_KINDS.map((kind) => [kind, Compile(valuesSchemas[kind])]),
) as Record<ObservationKind, ReturnType<typeof Compile>>;
const kinds = new Set<string>(OBSERVATION_KINDS);

export interface ValidationOptions {
  /**
   * Reference clock (ms since the epoch) for the time checks: a time ahead of it by more than
   * MAX_CLOCK_SKEW_MS, or a measurement older than MAX_MEASUREMENT_AGE_MS, is refused. The checks
   * are skipped when it is omitted (fixed test vectors).
   */
  now?: number;
  /** The observations came on the urgent topic, which carries isUrgentKind ones only. */
  urgentOnly?: boolean;
}

/** The instant a contract timestamp names, or NaN for an impossible date. */
function realInstant(value: string): number {
  const ms = Date.parse(value);
  // Date.parse rolls impossible dates over (31 February becomes 3 March): compare the round trip.
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 19) !== value.slice(0, 19)) return NaN;
  return ms;
}

const DAY_MS = 24 * 3600 * 1000;

/** A timestamp field checked against the clock: not impossible, not ahead, not older than maxAgeMs. */
function timeRejection(
  field: string,
  value: string,
  options: ValidationOptions,
  maxAgeMs: number | null,
): { ok: false; rejection: Rejection } | null {
  const ms = realInstant(value);
  if (Number.isNaN(ms)) return reject(RejectionCode.schemaViolation, `/${field} is not a real date`);
  if (options.now === undefined) return null;
  if (ms > options.now + MAX_CLOCK_SKEW_MS) {
    return reject(RejectionCode.timestampInFuture, `/${field} ${value} is ahead of server time`);
  }
  if (maxAgeMs !== null && ms < options.now - maxAgeMs) {
    return reject(
      RejectionCode.timestampTooOld,
      `/${field} ${value} is more than ${Math.round(maxAgeMs / DAY_MS)} days before server time`,
    );
  }
  return null;
}

/** The envelope's most specific code: a sequence number out of reach says more than "schema". */
function envelopeRejection(errors: TLocalizedValidationError[]): { ok: false; rejection: Rejection } {
  if (errors.some((e) => e.instancePath === '/seq' && e.keyword === 'maximum')) {
    return reject(RejectionCode.seqImplausible, `/seq is above ${MAX_SEQ}`);
  }
  return reject(RejectionCode.schemaViolation, describe(errors));
}

export function validateObservation(raw: unknown, options: ValidationOptions = {}): Result<Observation> {
  if (typeof raw === 'object' && raw !== null && 'kind' in raw) {
    const kind = (raw as { kind: unknown }).kind;
    if (typeof kind === 'string' && !kinds.has(kind)) {
      return reject(RejectionCode.unknownKind, `kind "${kind.slice(0, 64)}" is not defined`);
    }
  }
  if (!envelopeCheck.Check(raw)) return envelopeRejection(envelopeCheck.Errors(raw));
  const kind = raw.kind as ObservationKind;
  if (options.urgentOnly && !isUrgentKind(kind)) {
    return reject(RejectionCode.notUrgentKind, `kind "${kind}" does not belong on the urgent topic`);
  }
  const check = valuesChecks[kind];
  if (!check.Check(raw.values)) {
    const errors = check.Errors(raw.values).map((e) => ({ ...e, instancePath: `/values${e.instancePath}` }));
    return reject(classify(errors), describe(errors));
  }
  const time = timeRejection('measuredAt', raw.measuredAt, options, MAX_MEASUREMENT_AGE_MS);
  if (time) return time;
  return { ok: true, value: raw as unknown as Observation };
}

export interface ParsedBatch {
  sentAt: string;
  results: { raw: unknown; result: Result<Observation> }[];
}

/** A list longer than `max` under `key`, found before any schema walks its items. */
function overlong(json: unknown, key: string, max: number): { ok: false; rejection: Rejection } | null {
  if (typeof json !== 'object' || json === null) return null;
  const list = (json as Record<string, unknown>)[key];
  if (!Array.isArray(list) || list.length <= max) return null;
  return reject(RejectionCode.schemaViolation, `batch of ${list.length} exceeds ${max}`);
}

/** Checks the batch envelope; each observation is then accepted or rejected on its own. */
export function parseObservationBatch(json: unknown, options: ValidationOptions = {}): Result<ParsedBatch> {
  if (typeof json === 'object' && json !== null && 'v' in json && json.v !== OBSERVATION_BATCH_VERSION) {
    return reject(RejectionCode.unsupportedVersion, `batch version ${String(json.v).slice(0, 16)}`);
  }
  const tooMany = overlong(json, 'observations', MAX_BATCH_SIZE);
  if (tooMany) return tooMany;
  if (!batchCheck.Check(json)) {
    return reject(RejectionCode.schemaViolation, describe(batchCheck.Errors(json)));
  }
  return {
    ok: true,
    value: {
      sentAt: json.sentAt,
      results: json.observations.map((raw) => ({ raw, result: validateObservation(raw, options) })),
    },
  };
}
const batchCheck = Compile(ObservationBatchEnvelope);

const deviceStatusCheck = Compile(DeviceStatusBatch);
const gatewayStatusCheck = Compile(GatewayStatus);

function checked<T>(
  json: unknown,
  check: { Check(v: unknown): boolean; Errors(v: unknown): TLocalizedValidationError[] },
): Result<T> {
  if (typeof json === 'object' && json !== null && 'v' in json && json.v !== STATUS_VERSION) {
    return reject(RejectionCode.unsupportedVersion, `status version ${String(json.v).slice(0, 16)}`);
  }
  if (!check.Check(json)) return reject(RejectionCode.schemaViolation, describe(check.Errors(json)));
  return { ok: true, value: json as T };
}

/** The batch's shape; each device's status is then checked on its own (checkDeviceStatus). */
export function parseDeviceStatusBatch(json: unknown): Result<DeviceStatusBatch> {
  return overlong(json, 'devices', MAX_BATCH_SIZE) ?? checked(json, deviceStatusCheck);
}

/**
 * One device's status against the clock, with the bounds of a measurement time: its lastSeen is a
 * real date, at most MAX_CLOCK_SKEW_MS ahead of the server and at most MAX_MEASUREMENT_AGE_MS
 * behind it (older is a clock fault or a forgery; only this device's status is refused).
 */
export function checkDeviceStatus(
  status: DeviceStatus,
  options: ValidationOptions = {},
): Result<DeviceStatus> {
  return (
    timeRejection('lastSeen', status.lastSeen, options, MAX_MEASUREMENT_AGE_MS) ?? { ok: true, value: status }
  );
}

/**
 * A gateway status. Its `at` must be a real date but is not held to the clock: the retained
 * status and the last will carry the time the gateway connected, which may be months ago, and the
 * broker re-sends them each time the server subscribes; refusing them would hide a gateway going
 * offline. The server keeps its own receive time beside it.
 */
export function parseGatewayStatus(json: unknown): Result<GatewayStatus> {
  const result = checked<GatewayStatus>(json, gatewayStatusCheck);
  if (!result.ok) return result;
  return timeRejection('at', result.value.at, {}, null) ?? result;
}
