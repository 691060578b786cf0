/**
 * Property-based fuzzing of every decoder (fast-check): whatever bytes arrive, a decoder returns
 * or throws a DecodeError, never anything else, and returns promptly; what it returns converts to
 * observations / device status without throwing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../errors.js';
import type { CharacteristicHandler } from '../profile.js';
import { decode as decodeCurrentTime } from './current-time/index.js';
import { decodeString } from './device-information/index.js';
import { characteristicHandlers } from './index.js';

const context = {
  deviceId: 'c0:ff:ee:01:00:01',
  measuredAtFallback: '2025-03-01T09:00:00.000Z',
  nextSeq: () => 0,
  id: () => '6f1c2a9e-0b7d-4c55-8e3f-2d1a0c9b8e7f',
};

/** Any bytes, and "a flags octet then a tail", which more often hits the exact announced length. */
const values = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc
    .tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ minLength: 1, maxLength: 30 }))
    .map(([flags, tail]) => Uint8Array.of(flags, ...tail)),
  fc
    .tuple(
      fc.constantFrom(0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1f, 0x0f, 0x07),
      fc.uint8Array({ maxLength: 24 }),
    )
    .map(([flags, tail]) => Uint8Array.of(flags, ...tail)),
);

/** Every number anywhere in the value is finite (no NaN/Infinity leaking from special values). */
function allFinite(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (value && typeof value === 'object') return Object.values(value).every(allFinite);
  return true;
}

function onlyDecodeErrors(decode: (bytes: Uint8Array) => unknown, after?: (decoded: unknown) => void) {
  fc.assert(
    fc.property(values, (bytes) => {
      const started = performance.now();
      let decoded: unknown;
      try {
        decoded = decode(bytes);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        expect(typeof err.code).toBe('string');
        return;
      } finally {
        expect(performance.now() - started).toBeLessThan(500); // generous: a loaded CI machine, not a hang
      }
      after?.(decoded);
    }),
    { numRuns: 3000 },
  );
}

describe('decoder fuzzing', () => {
  it.each([...characteristicHandlers.values()].map((h) => [`${h.profile} / ${h.name}`, h] as const))(
    '%s: only DecodeError, never a hang, and its output converts without throwing',
    (_name, handler: CharacteristicHandler) => {
      onlyDecodeErrors(
        (bytes) => handler.decode(bytes),
        (decoded) => {
          const observations = handler.toObservations?.(decoded, context);
          handler.toDeviceStatus?.(decoded);
          handler.eventCounter?.(decoded);
          expect(allFinite(decoded)).toBe(true);
          expect(allFinite(observations)).toBe(true);
        },
      );
    },
  );

  it('Current Time: only DecodeError', () => onlyDecodeErrors(decodeCurrentTime));
  it('Device Information strings: only DecodeError', () => onlyDecodeErrors(decodeString));
});
