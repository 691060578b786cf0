/**
 * Dispatch: one BLE notification in, zero or more contract-valid observations queued.
 *
 *   notification -> registry lookup by characteristic UUID -> handler.decode -> toDeviceStatus /
 *   toObservations -> validateObservation -> sequence number -> outbox
 *
 * The gateway parses no bytes itself: everything device-specific is in the protocol package's
 * profile folders. Nothing here throws: a decode error, an invalid observation or even a bug is
 * logged with its code, counted, and recorded as the device's lastError, and the gateway carries
 * on with the next notification.
 */
import {
  DecodeError,
  handlerFor as defaultHandlerFor,
  isUrgentKind,
  RejectionCode,
  validateObservation,
  type CharacteristicHandler,
  type Observation,
} from '@wardline/protocol';
import { isValidDeviceId, type DeviceRegistry } from './devices.js';
import type { Logger } from './logger.js';
import type { Outbox } from './queue.js';
import type { Sequence } from './sequence.js';

/** Codes the gateway itself adds to the decoders' and the contract's codes. */
export const GatewayProblemCode = {
  /** The device's event counter jumped: notifications were lost over the air (or it restarted). */
  eventGap: 'EVENT_GAP',
  /** The device time was ahead of the gateway clock beyond the allowed skew: receive time used. */
  deviceClockAhead: 'DEVICE_CLOCK_AHEAD',
  /**
   * A fall or help call dated older than the contract accepts (a device clock reset to 1970 or
   * 2000): receive time used, because the event is happening now and must not be lost. Routine
   * readings dated so are refused (TIMESTAMP_TOO_OLD) and shown on the device, not re-dated.
   */
  deviceClockBehind: 'DEVICE_CLOCK_BEHIND',
  /** The durable outbox could not store a reading (disk full or failing). */
  outboxWriteFailed: 'OUTBOX_WRITE_FAILED',
  /** An unexpected exception while handling a notification (a gateway bug). */
  internalError: 'INTERNAL_ERROR',
} as const;

export type DispatchStatus =
  | 'queued'
  | 'no_observation'
  | 'unhandled'
  | 'duplicate'
  | 'sampled_out'
  | 'decode_error'
  | 'rejected'
  | 'invalid_device'
  | 'internal_error';

export interface Problem {
  code: string;
  detail: string;
}

export interface DispatchOutcome {
  status: DispatchStatus;
  /** Observations queued for publishing. */
  observations: Observation[];
  /** Everything that went wrong, by stable code (decode errors, problems, rejections). */
  problems: Problem[];
}

export interface DispatchStats {
  notifications: number;
  /** Characteristics with no handler (counted, not errors). */
  unhandled: number;
  /** Repeats of an unacknowledged notification, merged (PROTOCOL.md §5). */
  duplicates: number;
  /** Streaming values between kept samples (handler.sampleIntervalMs), by design not sent. */
  sampledOut: number;
  invalidDeviceIds: number;
  decodeErrors: Record<string, number>;
  problems: Record<string, number>;
  observationsQueued: number;
  observationsRejected: Record<string, number>;
  /** Routine observations the outbox dropped for capacity (each also logged at error). */
  evicted: number;
  internalErrors: number;
}

export interface DispatcherOptions {
  outbox: Outbox;
  sequence: Sequence;
  devices: DeviceRegistry;
  logger: Logger;
  handlerFor?: (characteristicUuid: string) => CharacteristicHandler | undefined;
  now?: () => number;
  newId?: () => string;
  /** Called after observations were queued (the publisher drains the outbox). */
  onQueued?: () => void;
}

interface Recent {
  hex: string;
  at: number;
}

const RECENT_LIMIT = 16;

function bump(counts: Record<string, number>, code: string, by = 1): void {
  counts[code] = (counts[code] ?? 0) + by;
}

export class Dispatcher {
  private readonly options: DispatcherOptions;
  private readonly handlerFor: (uuid: string) => CharacteristicHandler | undefined;
  private readonly now: () => number;
  private readonly recent = new Map<string, Recent[]>();
  private readonly counters = new Map<string, number>();
  /** Per device and streaming characteristic: when the last observation was queued. */
  private readonly lastSampled = new Map<string, number>();
  private readonly counts: DispatchStats = {
    notifications: 0,
    unhandled: 0,
    duplicates: 0,
    sampledOut: 0,
    invalidDeviceIds: 0,
    decodeErrors: {},
    problems: {},
    observationsQueued: 0,
    observationsRejected: {},
    evicted: 0,
    internalErrors: 0,
  };

  constructor(options: DispatcherOptions) {
    this.options = options;
    this.handlerFor = options.handlerFor ?? defaultHandlerFor;
    this.now = options.now ?? Date.now;
  }

  stats(): DispatchStats {
    return structuredClone(this.counts);
  }

  handle(
    deviceId: string,
    serviceUuid: string,
    characteristicUuid: string,
    bytes: Uint8Array,
  ): DispatchOutcome {
    this.counts.notifications++;
    try {
      return this.dispatch(deviceId, serviceUuid, characteristicUuid, bytes);
    } catch (err) {
      this.counts.internalErrors++;
      const code = GatewayProblemCode.internalError;
      this.options.logger.error(
        { deviceId: isValidDeviceId(deviceId) ? deviceId : undefined, code, err: (err as Error)?.message },
        'notification handling failed',
      );
      if (isValidDeviceId(deviceId)) this.options.devices.error(deviceId, code);
      return { status: 'internal_error', observations: [], problems: [{ code, detail: 'unexpected error' }] };
    }
  }

  private dispatch(
    deviceId: string,
    serviceUuid: string,
    characteristicUuid: string,
    bytes: Uint8Array,
  ): DispatchOutcome {
    const { devices, logger } = this.options;
    if (typeof deviceId !== 'string' || !isValidDeviceId(deviceId)) {
      this.counts.invalidDeviceIds++;
      logger.warn(
        { code: 'INVALID_DEVICE_ID' },
        'notification from a device id outside the contract pattern',
      );
      return { status: 'invalid_device', observations: [], problems: [] };
    }
    const receivedAt = this.now();
    devices.seen(deviceId, receivedAt);

    const handler = this.handlerFor(characteristicUuid);
    if (!handler) {
      this.counts.unhandled++;
      logger.debug({ deviceId, serviceUuid, characteristicUuid, length: bytes.byteLength }, 'no handler');
      return { status: 'unhandled', observations: [], problems: [] };
    }
    const log = { deviceId, profile: handler.profile, characteristic: handler.name };
    const key = `${deviceId}|${handler.uuid}`;

    if (
      handler.repeatWindowMs !== undefined &&
      this.isRepeat(key, bytes, receivedAt, handler.repeatWindowMs)
    ) {
      this.counts.duplicates++;
      logger.debug(log, 'repeated notification merged');
      return { status: 'duplicate', observations: [], problems: [] };
    }

    let decoded: unknown;
    try {
      decoded = handler.decode(bytes);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      bump(this.counts.decodeErrors, err.code);
      devices.error(deviceId, err.code);
      logger.warn({ ...log, code: err.code, length: bytes.byteLength }, 'characteristic value rejected');
      return {
        status: 'decode_error',
        observations: [],
        problems: [{ code: err.code, detail: err.message }],
      };
    }

    const problems: Problem[] = [];
    const counter = handler.eventCounter?.(decoded);
    if (counter) {
      const last = this.counters.get(key);
      this.counters.set(key, counter.value);
      if (last !== undefined) {
        const missed = (counter.value - last - 1 + counter.modulo) % counter.modulo;
        if (missed > 0) {
          problems.push({
            code: GatewayProblemCode.eventGap,
            detail: `event counter jumped by ${missed + 1}: events lost over the air, or the device restarted`,
          });
        }
      }
    }

    if (handler.toDeviceStatus) {
      const result = handler.toDeviceStatus(decoded);
      devices.update(deviceId, result.status);
      problems.push(...result.problems);
    }

    const queued: Observation[] = [];
    const rejections: Problem[] = [];
    const sampledOut =
      handler.sampleIntervalMs !== undefined &&
      receivedAt - (this.lastSampled.get(key) ?? -Infinity) < handler.sampleIntervalMs;
    if (sampledOut) this.counts.sampledOut++;
    if (handler.toObservations && !sampledOut) {
      const measuredAtFallback = new Date(receivedAt).toISOString();
      // Numbers are provisional until an observation passes validation, so a rejected one leaves
      // no gap in the gateway's sequence (a gap would look like a lost observation).
      let provisional = this.options.sequence.peek();
      const result = handler.toObservations(decoded, {
        deviceId,
        measuredAtFallback,
        nextSeq: () => provisional++,
        ...(this.options.newId ? { id: this.options.newId } : {}),
      });
      problems.push(...result.problems);
      for (const candidate of result.observations) {
        let checked = validateObservation(candidate, { now: receivedAt });
        const clockAhead = !checked.ok && checked.rejection.code === RejectionCode.timestampInFuture;
        const urgentClockBehind =
          !checked.ok &&
          checked.rejection.code === RejectionCode.timestampTooOld &&
          isUrgentKind(candidate.kind);
        if (clockAhead || urgentClockBehind) {
          problems.push(
            clockAhead
              ? {
                  code: GatewayProblemCode.deviceClockAhead,
                  detail: 'device time is ahead of the gateway clock: gateway receive time used',
                }
              : {
                  code: GatewayProblemCode.deviceClockBehind,
                  detail: 'urgent event dated before the contract allows: gateway receive time used',
                },
          );
          checked = validateObservation(
            { ...candidate, measuredAt: measuredAtFallback },
            { now: receivedAt },
          );
        }
        if (!checked.ok) {
          const { code, detail } = checked.rejection;
          rejections.push({ code, detail });
          bump(this.counts.observationsRejected, code);
          devices.error(deviceId, code);
          logger.warn(
            { ...log, kind: candidate.kind, code, detail },
            'observation failed contract validation',
          );
          continue;
        }
        const observation = { ...checked.value, seq: this.options.sequence.next() } as Observation;
        let evicted: Observation[];
        try {
          ({ evicted } = this.options.outbox.enqueue(observation));
        } catch (err) {
          // The disk refused the reading (full, read-only, failing): it is not taken. Loud, because
          // the device has already had its confirmation and will not send it again.
          const code = GatewayProblemCode.outboxWriteFailed;
          bump(this.counts.problems, code);
          devices.error(deviceId, code);
          logger.error(
            { ...log, code, kind: observation.kind, seq: observation.seq, err: (err as Error)?.message },
            'reading could not be stored in the outbox and is lost',
          );
          rejections.push({ code, detail: 'outbox write failed' });
          continue;
        }
        if (evicted.length > 0) {
          this.counts.evicted += evicted.length;
          logger.error(
            {
              code: 'OUTBOX_FULL',
              evicted: evicted.length,
              oldestSeq: evicted[0]?.seq,
              capacity: this.options.outbox.capacity,
            },
            'outbox full: oldest routine observations dropped',
          );
        }
        queued.push(observation);
      }
    }

    for (const problem of problems) {
      bump(this.counts.problems, problem.code);
      devices.error(deviceId, problem.code);
      logger.warn({ ...log, code: problem.code, detail: problem.detail }, 'device problem');
    }
    if (queued.length > 0) {
      if (handler.sampleIntervalMs !== undefined) this.lastSampled.set(key, receivedAt);
      this.counts.observationsQueued += queued.length;
      logger.debug({ ...log, queued: queued.map((o) => o.seq) }, 'observations queued');
      this.options.onQueued?.();
    }
    const status: DispatchStatus =
      queued.length > 0
        ? 'queued'
        : rejections.length > 0
          ? 'rejected'
          : sampledOut
            ? 'sampled_out'
            : 'no_observation';
    return { status, observations: queued, problems: [...problems, ...rejections] };
  }

  /** Byte-identical value from the same device and characteristic within the window. */
  private isRepeat(key: string, bytes: Uint8Array, at: number, windowMs: number): boolean {
    const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
    const recent = (this.recent.get(key) ?? []).filter((r) => at - r.at <= windowMs);
    const repeat = recent.some((r) => r.hex === hex);
    if (!repeat) recent.push({ hex, at });
    this.recent.set(key, recent.slice(-RECENT_LIMIT));
    return repeat;
  }
}
