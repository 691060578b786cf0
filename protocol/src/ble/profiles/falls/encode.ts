/** Encoder for the Falls Event characteristic, format 1 (PROTOCOL.md §3), for the simulators. */
import { ByteWriter } from '../../bytes.js';
import { CONFIDENCE_NOT_AVAILABLE, EVENT_TYPE_CODES, FALLS_EVENT_FORMAT, type FallsEvent } from './decode.js';

export function encode(event: FallsEvent): Uint8Array {
  if (
    event.confidence !== null &&
    (!Number.isInteger(event.confidence) || event.confidence < 0 || event.confidence > 100)
  ) {
    throw new RangeError(`fall confidence ${event.confidence} not in 0..100`);
  }
  return new ByteWriter()
    .u8(FALLS_EVENT_FORMAT)
    .u8(EVENT_TYPE_CODES[event.type])
    .u16(event.counter)
    .u32(event.timestamp ?? 0)
    .u8(event.confidence ?? CONFIDENCE_NOT_AVAILABLE)
    .toBytes();
}
