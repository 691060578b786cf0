/**
 * Decoder for the Falls Event characteristic of the Wardline Falls Service, format 1
 * (PROTOCOL.md §3). 9 octets, little-endian:
 *
 *   offset 0  u8   format, 0x01
 *   offset 1  u8   event type: 0x01 fall, 0x02 help button, 0x03 heartbeat, 0x04 upright again,
 *                  0x05 no movement (revision 1.1, §3.2)
 *   offset 2  u16  event counter (+1 per new event, wraps 65535 -> 0; repeats keep it)
 *   offset 4  u32  time stamp, seconds since 1970-01-01T00:00:00Z; 0 = clock not set
 *   offset 8  u8   fall confidence, percent 0-100; 0xFF = not available
 */
import { ByteReader } from '../../bytes.js';
import { DecodeError, DecodeErrorCode } from '../../errors.js';

export type FallsEventType = 'fall' | 'help_button' | 'heartbeat' | 'upright' | 'no_movement';

export interface FallsEvent {
  type: FallsEventType;
  /** Device event counter, 0-65535 (PROTOCOL.md §3.3). */
  counter: number;
  /** Seconds since the Unix epoch, UTC; null when the device clock is not set (§3.4). */
  timestamp: number | null;
  /** Percent, 0-100; null when not available (0xFF) or out of range (101-254) (§3.5). */
  confidence: number | null;
}

export const FALLS_EVENT_FORMAT = 0x01;
export const FALLS_EVENT_LENGTH = 9;
export const CONFIDENCE_NOT_AVAILABLE = 0xff;
/** §3.4: earlier time stamps mean the clock was never set (counting from power-on). */
export const EARLIEST_VALID_TIMESTAMP = 1_577_836_800; // 2020-01-01T00:00:00Z

export const EVENT_TYPE_CODES: Readonly<Record<FallsEventType, number>> = {
  fall: 0x01,
  help_button: 0x02,
  heartbeat: 0x03,
  upright: 0x04,
  no_movement: 0x05,
};
const EVENT_TYPES = new Map<number, FallsEventType>(
  Object.entries(EVENT_TYPE_CODES).map(([type, code]) => [code, type as FallsEventType]),
);

export function decode(bytes: Uint8Array): FallsEvent {
  if (bytes.byteLength < 1) throw new DecodeError(DecodeErrorCode.truncated, 'falls event: empty value');
  const format = bytes[0] as number;
  // §3.1: a reader implements exactly the formats it knows; another format is another layout.
  if (format !== FALLS_EVENT_FORMAT) {
    throw new DecodeError(
      DecodeErrorCode.unsupportedFormat,
      `falls event: format ${format} is not supported`,
    );
  }
  if (bytes.byteLength < FALLS_EVENT_LENGTH) {
    throw new DecodeError(
      DecodeErrorCode.truncated,
      `falls event: ${FALLS_EVENT_LENGTH} bytes expected, got ${bytes.byteLength}`,
    );
  }
  if (bytes.byteLength > FALLS_EVENT_LENGTH) {
    throw new DecodeError(
      DecodeErrorCode.inconsistentLength,
      `falls event: ${FALLS_EVENT_LENGTH} bytes expected, got ${bytes.byteLength}`,
    );
  }
  const reader = new ByteReader(bytes);
  reader.u8('format');
  const typeCode = reader.u8('event type'); // §3.2
  const type = EVENT_TYPES.get(typeCode);
  if (type === undefined) {
    throw new DecodeError(
      DecodeErrorCode.unknownEventType,
      `falls event: event type ${typeCode} is not defined`,
    );
  }
  const counter = reader.u16('event counter'); // §3.3
  const seconds = reader.u32('time stamp'); // §3.4
  const confidence = reader.u8('fall confidence'); // §3.5
  return {
    type,
    counter,
    timestamp: seconds >= EARLIEST_VALID_TIMESTAMP ? seconds : null,
    // §3.5: only a fall carries a confidence; other events send 0xFF and readers ignore the field.
    confidence: type === 'fall' && confidence <= 100 ? confidence : null,
  };
}
