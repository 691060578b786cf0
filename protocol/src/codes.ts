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
  /** JSON nested deeper than any contract payload needs (a parser stack attack). */
  nestingTooDeep: 'NESTING_TOO_DEEP',
  /** The device is registered to another site, or pinned to another gateway of its site. */
  deviceOutOfScope: 'DEVICE_OUT_OF_SCOPE',
  /** Measured longer ago than a gateway outbox can hold a reading (MAX_MEASUREMENT_AGE_MS). */
  timestampTooOld: 'TIMESTAMP_TOO_OLD',
  /** A sequence number no gateway could have reached (above MAX_SEQ). */
  seqImplausible: 'SEQ_IMPLAUSIBLE',
  /** A routine kind on the urgent lane, which carries falls and help calls only. */
  notUrgentKind: 'NOT_URGENT_KIND',
  /** An observation id already stored with different content: a replay must repeat the reading. */
  idConflict: 'ID_CONFLICT',
  /** Handling the message failed repeatedly for reasons of its own content (a poison message). */
  processingFailed: 'PROCESSING_FAILED',
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
  NESTING_TOO_DEEP: 'JSON is nested deeper than any contract payload',
  DEVICE_OUT_OF_SCOPE: "device belongs to another site or to another of its site's gateways",
  TIMESTAMP_TOO_OLD: 'measurement time is older than a gateway outbox can hold a reading',
  SEQ_IMPLAUSIBLE: 'sequence number is beyond what any gateway can reach',
  NOT_URGENT_KIND: 'the urgent topic carries falls and help calls only',
  ID_CONFLICT: 'observation id already stored with different content',
  PROCESSING_FAILED: 'handling the message failed repeatedly; kept aside so other messages flow',
};

/** The largest MQTT payload the contract accepts (an observation batch of 500 fits in a fraction). */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
export const MAX_BATCH_SIZE = 500;
/** Gateway clocks may run ahead; beyond this, a measurement time is treated as wrong. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
/**
 * The oldest measurement time accepted. A gateway outbox holds 100,000 readings by default, about
 * a week for a home with eight devices; 30 days covers a larger outbox or a device's own memory.
 * Anything older is a clock fault (1970, year 0001) or a forgery, not a late reading.
 */
export const MAX_MEASUREMENT_AGE_MS = 30 * 24 * 3600 * 1000;
/** One reading a millisecond for 8,900 years: a larger per-gateway sequence number is a fault. */
export const MAX_SEQ = 2 ** 48;
/**
 * Deepest JSON nesting a contract payload has (batch > observations > item > values > component
 * > array), with room to spare; deeper input is refused before it is parsed.
 */
export const MAX_JSON_DEPTH = 8;
