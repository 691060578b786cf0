/**
 * Errors raised by characteristic decoders, and problems reported while turning decoded values
 * into contract observations.
 *
 * A decoder never returns a half-read record: bytes that do not match the layout their own flags
 * describe fail with a `DecodeError` whose `code` is stable (logged, counted, and shown as the
 * device's `lastError`). Values that are well-formed but unusable (IEEE 11073 NaN, a battery level
 * above 100) are not errors: they decode to `null` and are reported as a `ConversionProblem` when
 * they stop an observation from being made.
 */
export const DecodeErrorCode = {
  /** Fewer bytes than the fixed part, or than the fields the flags announce. */
  truncated: 'TRUNCATED',
  /** More bytes than the flags announce: the layout is not the one we implement. */
  inconsistentLength: 'INCONSISTENT_LENGTH',
  /** A flag bit the specification reserves is set: later fields cannot be located safely. */
  reservedFlags: 'RESERVED_FLAGS',
  /** A format/version field names a layout this decoder does not implement. */
  unsupportedFormat: 'UNSUPPORTED_FORMAT',
  /** An enumerated field holds a value the specification does not define. */
  unknownEventType: 'UNKNOWN_EVENT_TYPE',
} as const;
export type DecodeErrorCode = (typeof DecodeErrorCode)[keyof typeof DecodeErrorCode];

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    readonly code: DecodeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isDecodeError(err: unknown): err is DecodeError {
  return err instanceof DecodeError;
}

/** Problems found after a successful decode, while building observations or device status. */
export const ConversionProblemCode = {
  /** A mandatory clinical value is a special value (NaN, NRes, ±INF, reserved): no observation. */
  missingValue: 'MISSING_VALUE',
  /** The device sent a time stamp that is unknown or not a real date: the gateway time is used. */
  invalidTimestamp: 'INVALID_TIMESTAMP',
  /** A non-clinical value outside its defined range (for example battery level 101-255). */
  invalidValue: 'INVALID_VALUE',
} as const;
export type ConversionProblemCode = (typeof ConversionProblemCode)[keyof typeof ConversionProblemCode];

export interface ConversionProblem {
  code: ConversionProblemCode;
  /** Names fields, never values: safe to log. */
  detail: string;
}
