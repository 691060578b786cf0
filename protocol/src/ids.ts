/**
 * Identifiers that appear in MQTT topics. They are opaque, operator-chosen codes (never names,
 * room numbers or anything that identifies a person), restricted so that they can never contain
 * MQTT wildcards or separators.
 */
export const SEGMENT_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
const segment = new RegExp(SEGMENT_PATTERN);

export function isTopicSegment(value: string): boolean {
  return segment.test(value);
}

/** Device ids: a BLE address or a maker's serial. Lower-case hex with colons, or [A-Za-z0-9_-]. */
export const DEVICE_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9:_-]{0,63}$';

export const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

/** ISO 8601 in UTC with a literal Z: a measurement time from another zone is a gateway bug. */
export const UTC_TIMESTAMP_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,6})?Z$';
