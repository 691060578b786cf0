/** Shared by the profiles' vector tests: probing decode errors and a fixed observation context. */
import { expect } from 'vitest';
import { fromHex } from '../bytes.js';
import { DecodeError } from '../errors.js';
import type { ObservationContext } from '../profile.js';

/** The DecodeError code a decoder gives for these bytes; fails the test if it does not throw one. */
export function decodeErrorCode(decode: (bytes: Uint8Array) => unknown, hex: string): string {
  try {
    decode(fromHex(hex));
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
    return (err as DecodeError).code;
  }
  throw new Error('expected a DecodeError');
}

/** A context with a fixed id, a fixed fallback time and sequence numbers counting up from firstSeq. */
export function observationContext(deviceId: string, firstSeq: number, id: string): ObservationContext {
  let seq = firstSeq;
  return {
    deviceId,
    measuredAtFallback: '2025-03-01T09:00:00.000Z',
    nextSeq: () => seq++,
    id: () => id,
  };
}
