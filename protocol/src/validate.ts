import { Compile } from 'typebox/compile';
import type { TLocalizedValidationError } from 'typebox/error';
import { MAX_BATCH_SIZE, MAX_CLOCK_SKEW_MS, MAX_PAYLOAD_BYTES, RejectionCode } from './codes.js';
import {
  OBSERVATION_BATCH_VERSION,
  OBSERVATION_KINDS,
  ObservationBatchEnvelope,
  ObservationEnvelope,
  valuesSchemas,
  type Observation,
  type ObservationKind,
} from './observation.js';
import { DeviceStatusBatch, GatewayStatus, STATUS_VERSION } from './status.js';

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

/** Size, UTF-8 and JSON checks shared by every channel. */
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
  /** Reference clock for the future-timestamp check; the check is skipped when omitted. */
  now?: number;
}

export function validateObservation(raw: unknown, options: ValidationOptions = {}): Result<Observation> {
  if (typeof raw === 'object' && raw !== null && 'kind' in raw) {
    const kind = (raw as { kind: unknown }).kind;
    if (typeof kind === 'string' && !kinds.has(kind)) {
      return reject(RejectionCode.unknownKind, `kind "${kind.slice(0, 64)}" is not defined`);
    }
  }
  if (!envelopeCheck.Check(raw)) {
    return reject(RejectionCode.schemaViolation, describe(envelopeCheck.Errors(raw)));
  }
  const check = valuesChecks[raw.kind as ObservationKind];
  if (!check.Check(raw.values)) {
    const errors = check.Errors(raw.values).map((e) => ({ ...e, instancePath: `/values${e.instancePath}` }));
    return reject(classify(errors), describe(errors));
  }
  const measuredAt = Date.parse(raw.measuredAt);
  // Date.parse rolls impossible dates over (31 February becomes 3 March): compare the round trip.
  if (
    Number.isNaN(measuredAt) ||
    new Date(measuredAt).toISOString().slice(0, 19) !== raw.measuredAt.slice(0, 19)
  ) {
    return reject(RejectionCode.schemaViolation, `/measuredAt is not a real date`);
  }
  if (options.now !== undefined && measuredAt > options.now + MAX_CLOCK_SKEW_MS) {
    return reject(RejectionCode.timestampInFuture, `${raw.measuredAt} is ahead of server time`);
  }
  return { ok: true, value: raw as unknown as Observation };
}

export interface ParsedBatch {
  sentAt: string;
  results: { raw: unknown; result: Result<Observation> }[];
}

/** Checks the batch envelope; each observation is then accepted or rejected on its own. */
export function parseObservationBatch(json: unknown, options: ValidationOptions = {}): Result<ParsedBatch> {
  if (typeof json === 'object' && json !== null && 'v' in json && json.v !== OBSERVATION_BATCH_VERSION) {
    return reject(RejectionCode.unsupportedVersion, `batch version ${String(json.v).slice(0, 16)}`);
  }
  if (!batchCheck.Check(json)) {
    return reject(RejectionCode.schemaViolation, describe(batchCheck.Errors(json)));
  }
  if (json.observations.length > MAX_BATCH_SIZE) {
    return reject(
      RejectionCode.schemaViolation,
      `batch of ${json.observations.length} exceeds ${MAX_BATCH_SIZE}`,
    );
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

export function parseDeviceStatusBatch(json: unknown): Result<DeviceStatusBatch> {
  return checked(json, deviceStatusCheck);
}

export function parseGatewayStatus(json: unknown): Result<GatewayStatus> {
  return checked(json, gatewayStatusCheck);
}
