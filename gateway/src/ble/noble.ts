/**
 * Loading noble (@abandonware/noble) without ever crashing at import: the package's default entry
 * loads a native HCI or platform binding at require time, which throws on a machine without
 * Bluetooth support (or when its install scripts were not run). So noble is required lazily,
 * inside a try, and only when the radio is wanted; simulators use `with-bindings`, which builds a
 * real Noble on any binding object and loads nothing native.
 */
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The part of noble's Noble object the central uses. */
export interface NobleLike extends EventEmitter {
  readonly state: string;
  startScanningAsync(serviceUuids?: string[], allowDuplicates?: boolean): Promise<void>;
  stopScanningAsync(): Promise<void>;
}

/** A real noble on a binding (firmware-sim's SimulatedBinding, or any other implementation). */
export function nobleWithBinding(binding: EventEmitter): NobleLike {
  const withBindings = require('@abandonware/noble/with-bindings') as (binding: EventEmitter) => NobleLike;
  return withBindings(binding);
}

export type SystemNoble = { ok: true; noble: NobleLike } | { ok: false; reason: string };

/** noble on this machine's Bluetooth adapter, or why there is none. */
export function loadSystemNoble(): SystemNoble {
  try {
    return { ok: true, noble: require('@abandonware/noble') as NobleLike };
  } catch (err) {
    return { ok: false, reason: (err as Error).message.split('\n')[0] ?? 'unknown error' };
  }
}
