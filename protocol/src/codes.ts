/**
 * Stable rejection codes. A rejected message or observation is logged, counted and kept as a
 * dead letter under one of these codes; tests and operators rely on the code, not the text.
 */
export const RejectionCode = {
  payloadTooLarge: 'PAYLOAD_TOO_LARGE',
  malformedJson: 'MALFORMED_JSON',
  unknownTopic: 'UNKNOWN_TOPIC',
  unsupportedVersion: 'UNSUPPORTED_VERSION',
  schemaViolation: 'SCHEMA_VIOLATION',
  unknownKind: 'UNKNOWN_KIND',
  wrongUnit: 'WRONG_UNIT',
  outOfRange: 'OUT_OF_RANGE',
  timestampInFuture: 'TIMESTAMP_IN_FUTURE',
  unknownDevice: 'UNKNOWN_DEVICE',
} as const;
export type RejectionCode = (typeof RejectionCode)[keyof typeof RejectionCode];

export const rejectionDescriptions: Record<RejectionCode, string> = {
  PAYLOAD_TOO_LARGE: 'message larger than the contract allows',
  MALFORMED_JSON: 'payload is not valid UTF-8 JSON',
  UNKNOWN_TOPIC: 'topic is outside the wardline/v1 scheme',
  UNSUPPORTED_VERSION: 'payload version is not supported by this server',
  SCHEMA_VIOLATION: 'payload does not match the contract schema',
  UNKNOWN_KIND: 'observation kind is not defined by the contract',
  WRONG_UNIT: 'a value is not in the canonical unit for its component',
  OUT_OF_RANGE: 'a value is outside the physiologically plausible range',
  TIMESTAMP_IN_FUTURE: 'measurement time is ahead of the server clock beyond the allowed skew',
  UNKNOWN_DEVICE: 'device is not registered with the server',
};

/** The largest MQTT payload the contract accepts (an observation batch of 500 fits in a fraction). */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
export const MAX_BATCH_SIZE = 500;
/** Gateway clocks may run ahead; beyond this, a measurement time is treated as wrong. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
