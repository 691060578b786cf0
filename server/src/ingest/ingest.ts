import {
  Channel,
  RejectionCode,
  checkDeviceStatus,
  decodeJsonPayload,
  parseDeviceStatusBatch,
  parseGatewayStatus,
  parseObservationBatch,
  parseUplinkTopic,
  type DeviceStatus,
  type GatewayStatus,
  type Observation,
  type Rejection,
} from '@wardline/protocol';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/database.js';
import type { DeadLetterRepository } from '../db/dead-letter-repository.js';
import type { DeviceRepository, DeviceRoute } from '../db/device-repository.js';
import { createIngestFailureRepository, messageHash } from '../db/ingest-failure-repository.js';
import type { ObservationRepository } from '../db/observation-repository.js';
import type { Spool } from '../timeseries/spool.js';
import type { IngestMetrics } from './metrics.js';

/** How far before its assignment a reading may be measured and still count as the new patient's. */
const ASSIGNMENT_CLOCK_GRACE_MS = 2 * 60_000;

export interface AcceptedObservation {
  observation: Observation;
  patientId: string | null;
  bedId: string | null;
  wardId: string | null;
  receivedAt: string;
}

export interface AcceptedDeviceStatus {
  status: DeviceStatus;
  patientId: string | null;
  bedId: string | null;
  wardId: string | null;
}

/** What one MQTT message changed, for the real-time fan-out after the transaction commits. */
export interface IngestOutcome {
  observations: AcceptedObservation[];
  deviceStatuses: AcceptedDeviceStatus[];
  gatewayStatus: { gatewayId: string; wardId: string | null; status: GatewayStatus } | null;
  duplicates: number;
  rejections: Rejection[];
}

export interface IngestDependencies {
  db: Db;
  observations: ObservationRepository;
  devices: DeviceRepository;
  deadLetters: DeadLetterRepository;
  metrics: IngestMetrics;
  log: FastifyBaseLogger;
  now?: () => Date;
  /** Durable queue for InfluxDB, filled in the same transaction; throws when full (backpressure). */
  spool?: Pick<Spool, 'reserve' | 'enqueue'> | null;
  /**
   * Runs inside the transaction once its messages are stored (alert rules), once for a group of
   * messages (each patient scored once for the group, not once per message): commits with them.
   */
  afterStore?: (outcomes: readonly IngestOutcome[], at: Date) => void;
}

export interface HandleOptions {
  /** Also clears the message's failure count, in the same transaction (after earlier failures). */
  clearFailures?: boolean;
}

interface Message {
  outcome: IngestOutcome;
  topic: string;
  payload: Uint8Array;
  site: string;
  gatewayCode: string;
  /** The gateway's id on the server (`{site}:{gateway}`). */
  gatewayId: string;
  at: Date;
  receivedAt: string;
}

function emptyOutcome(): IngestOutcome {
  return { observations: [], deviceStatuses: [], gatewayStatus: null, duplicates: 0, rejections: [] };
}

/**
 * An item's own text for its dead letter. The message passed the nesting bound before it was
 * parsed, so this cannot exhaust the stack; should it throw all the same, the dead letter keeps the
 * raw message instead (the detail names the item) rather than failing the message.
 */
function itemPayload(item: unknown, message: Uint8Array): string | Uint8Array {
  try {
    const text = JSON.stringify(item);
    if (typeof text === 'string') return text;
  } catch {
    // fall through to the raw bytes
  }
  return message;
}

/**
 * Validates, routes and stores one MQTT message in a single transaction. When `handle` returns,
 * everything accepted is durable and everything rejected is in the dead-letter list, so the
 * caller may acknowledge the message to the broker. Bad input is never thrown: it is rejected with
 * a code. What does throw is storage failing (hold the message, retry) or a fault in handling
 * (see `recordFailure` and `quarantine` for how the subscriber bounds those).
 */
export function createIngest(deps: IngestDependencies) {
  const { db, observations, devices, deadLetters, metrics, log } = deps;
  const now = deps.now ?? (() => new Date());
  const failures = createIngestFailureRepository(db);

  // Counters move only once the transaction that earned them commits: a group that rolls back
  // and is stored again one message at a time must not count its readings twice. Plain numbers,
  // not a closure per reading: this is the path every reading takes.
  type Counted = 'messages' | 'accepted' | 'duplicates' | 'deviceStatuses' | 'gatewayStatuses';
  const none = (): Record<Counted, number> => ({
    messages: 0,
    accepted: 0,
    duplicates: 0,
    deviceStatuses: 0,
    gatewayStatuses: 0,
  });
  let pending = none();
  let pendingRejections: string[] = [];
  function committed<T>(result: T): T {
    for (const key of Object.keys(pending) as Counted[]) metrics.counters[key] += pending[key];
    for (const code of pendingRejections) metrics.reject(code);
    pending = none();
    pendingRejections = [];
    return result;
  }
  function rolledBack(err: unknown): never {
    pending = none();
    pendingRejections = [];
    throw err;
  }

  function reject(m: Message, payload: string | Uint8Array, rejection: Rejection) {
    deadLetters.add({ topic: m.topic, payload, receivedAt: m.receivedAt, ...rejection });
    pendingRejections.push(rejection.code);
    m.outcome.rejections.push(rejection);
    log.warn({ topic: m.topic, code: rejection.code, detail: rejection.detail }, 'message rejected');
  }

  /**
   * Where a device's data belongs, if the publishing gateway may speak for the device: it must be
   * registered to the topic's site and, if pinned, to this gateway. Otherwise the item is
   * dead-lettered and nothing of it is stored, alerted or allowed to change the device.
   */
  function scopedRoute(m: Message, deviceId: string, what: string, item: unknown): DeviceRoute | undefined {
    const route = devices.route(deviceId);
    let rejection: Rejection | null = null;
    if (!route) {
      rejection = {
        code: RejectionCode.unknownDevice,
        detail: `${what}: device ${deviceId} is not registered`,
      };
    } else if (route.siteCode !== m.site) {
      rejection = {
        code: RejectionCode.deviceOutOfScope,
        detail: `${what}: device ${deviceId} is registered to site ${route.siteCode}, not ${m.site}`,
      };
    } else if (route.gatewayCode !== null && route.gatewayCode !== m.gatewayCode) {
      rejection = {
        code: RejectionCode.deviceOutOfScope,
        detail: `${what}: device ${deviceId} is pinned to gateway ${route.gatewayCode}, not ${m.gatewayCode}`,
      };
    }
    if (rejection) {
      reject(m, itemPayload(item, m.payload), rejection);
      return undefined;
    }
    return route;
  }

  /**
   * A reading belongs to whoever had the device when it was measured. A reading measured before the
   * current assignment began (a returned kit's outbox delivering after the kit was issued to the next
   * patient) goes to the earlier patient who had it then, or to nobody when the device changed hands
   * after it was measured; a few minutes' grace absorbs a gateway clock slightly behind the server's.
   * A new device's first readings, taken before anyone was assigned, stay with its first patient.
   */
  function attributed(route: DeviceRoute, measuredAt: string): DeviceRoute {
    if (route.assignedAt === null || measuredAt >= route.assignedAt) return route;
    const then = devices.assignmentAt(route.deviceId, measuredAt);
    if (then.owner === 'earlier') return { ...route, ...then.route };
    if (then.owner === 'first') return route;
    const early = Date.parse(route.assignedAt) - Date.parse(measuredAt);
    return early <= ASSIGNMENT_CLOCK_GRACE_MS
      ? route
      : { ...route, patientId: null, bedId: null, wardId: null, assignedAt: null };
  }

  function ingestObservations(m: Message, json: unknown, urgentOnly: boolean) {
    const parsed = parseObservationBatch(json, { now: m.at.getTime(), urgentOnly });
    if (!parsed.ok) return reject(m, m.payload, parsed.rejection);
    deps.spool?.reserve(parsed.value.results.length);
    parsed.value.results.forEach(({ raw, result }, index) => {
      const what = `observations[${index}]`;
      if (!result.ok) {
        const { code, detail } = result.rejection;
        return reject(m, itemPayload(raw, m.payload), { code, detail: `${what}: ${detail}` });
      }
      // One textual form per instant, so that stored times sort as times.
      const observation = { ...result.value, measuredAt: new Date(result.value.measuredAt).toISOString() };
      const current = scopedRoute(m, observation.deviceId, what, raw);
      if (!current) return;
      const route = attributed(current, observation.measuredAt);
      const stored = observations.insert({
        observation,
        patientId: route.patientId,
        gatewayId: m.gatewayId,
        receivedAt: m.receivedAt,
      });
      if (!stored) {
        // The id is taken: an exact replay is a duplicate; anything else must not pass as one.
        if (observations.conflictsWithStored(observation)) {
          return reject(m, itemPayload(raw, m.payload), {
            code: RejectionCode.idConflict,
            detail: `${what}: id ${observation.id} is stored with other content; the stored reading is kept`,
          });
        }
        m.outcome.duplicates++;
        pending.duplicates++;
        return;
      }
      deps.spool?.enqueue(observation, route.patientId, m.receivedAt);
      pending.accepted++;
      m.outcome.observations.push({ observation, receivedAt: m.receivedAt, ...route });
    });
  }

  function ingestDeviceStatuses(m: Message, json: unknown) {
    const parsed = parseDeviceStatusBatch(json);
    if (!parsed.ok) return reject(m, m.payload, parsed.rejection);
    parsed.value.devices.forEach((status, index) => {
      const what = `devices[${index}]`;
      const checked = checkDeviceStatus(status, { now: m.at.getTime() });
      if (!checked.ok) {
        const { code, detail } = checked.rejection;
        return reject(m, itemPayload(status, m.payload), { code, detail: `${what}: ${detail}` });
      }
      const route = scopedRoute(m, status.deviceId, what, status);
      if (!route) return;
      devices.saveDeviceStatus(status, m.gatewayId, m.receivedAt);
      pending.deviceStatuses++;
      m.outcome.deviceStatuses.push({ status, ...route });
    });
  }

  function ingestGatewayStatus(m: Message, json: unknown) {
    const parsed = parseGatewayStatus(json);
    if (!parsed.ok) return reject(m, m.payload, parsed.rejection);
    devices.saveGatewayStatus(m.gatewayId, parsed.value, m.receivedAt);
    pending.gatewayStatuses++;
    m.outcome.gatewayStatus = {
      gatewayId: m.gatewayId,
      wardId: devices.gatewayWard(m.gatewayId),
      status: parsed.value,
    };
  }

  /** One message's readings and statuses, validated and stored; the caller holds the transaction. */
  function store(topic: string, payload: Uint8Array, options: HandleOptions = {}): IngestOutcome {
    const outcome = emptyOutcome();
    const at = now();
    const receivedAt = at.toISOString();
    pending.messages++;
    if (options.clearFailures) failures.forget(messageHash(topic, payload));
    const address = parseUplinkTopic(topic);
    const decoded = address ? decodeJsonPayload(payload) : null;
    if (!address || !decoded?.ok) {
      const m = { outcome, topic, payload, site: '', gatewayCode: '', gatewayId: '', at, receivedAt };
      const rejection = decoded?.ok === false ? decoded.rejection : null;
      reject(m, payload, rejection ?? { code: RejectionCode.unknownTopic, detail: 'not an uplink topic' });
      return outcome;
    }
    const gatewayId = devices.ensureGateway(address.site, address.gateway);
    const m: Message = {
      outcome,
      topic,
      payload,
      site: address.site,
      gatewayCode: address.gateway,
      gatewayId,
      at,
      receivedAt,
    };
    switch (address.channel) {
      case Channel.observations:
        ingestObservations(m, decoded.value, false);
        break;
      case Channel.urgent:
        ingestObservations(m, decoded.value, true);
        break;
      case Channel.devices:
        ingestDeviceStatuses(m, decoded.value);
        break;
      case Channel.status:
        ingestGatewayStatus(m, decoded.value);
        break;
    }
    return outcome;
  }

  const handleInTransaction = db.transaction(
    (topic: string, payload: Uint8Array, options: HandleOptions = {}): IngestOutcome => {
      const outcome = store(topic, payload, options);
      deps.afterStore?.([outcome], now());
      return outcome;
    },
  );

  // The group shares one transaction and one commit (one WAL sync). Should any message fail, the
  // whole group rolls back and the subscriber stores its messages one at a time.
  const handleGroupInTransaction = db.transaction(
    (messages: readonly { topic: string; payload: Uint8Array }[]): IngestOutcome[] => {
      const outcomes = messages.map((m) => store(m.topic, m.payload));
      deps.afterStore?.(outcomes, now());
      return outcomes;
    },
  );

  const quarantineInTransaction = db.transaction(
    (topic: string, payload: Uint8Array, attempts: number, lastError: string): IngestOutcome => {
      const outcome = emptyOutcome();
      const receivedAt = now().toISOString();
      const m = { outcome, topic, payload, site: '', gatewayCode: '', gatewayId: '', at: now(), receivedAt };
      reject(m, payload, {
        code: RejectionCode.processingFailed,
        detail: `handling failed ${attempts} times; last error: ${lastError.slice(0, 300)}`,
      });
      failures.forget(messageHash(topic, payload));
      return outcome;
    },
  );

  return {
    handle(topic: string, payload: Uint8Array, options: HandleOptions = {}): IngestOutcome {
      try {
        return committed(handleInTransaction(topic, payload, options));
      } catch (err) {
        return rolledBack(err);
      }
    },

    /** Several messages in one transaction: all durable when it returns, or none if it throws. */
    handleGroup(messages: readonly { topic: string; payload: Uint8Array }[]): IngestOutcome[] {
      try {
        return committed(handleGroupInTransaction(messages));
      } catch (err) {
        return rolledBack(err);
      }
    },

    /**
     * Counts one more failed attempt at a message, in a transaction of its own so that the count
     * survives the failed message's rollback and a restart. Returns the attempts so far.
     */
    recordFailure(topic: string, payload: Uint8Array, error: string): number {
      return failures.record(messageHash(topic, payload), topic, error, now().toISOString());
    },

    /**
     * Sets aside a message that keeps failing: its raw bytes go to the dead-letter list as
     * PROCESSING_FAILED and its failure count is cleared, so it can be acknowledged.
     */
    quarantine(topic: string, payload: Uint8Array, attempts: number, lastError: string): IngestOutcome {
      try {
        return committed(quarantineInTransaction(topic, payload, attempts, lastError));
      } catch (err) {
        return rolledBack(err);
      }
    },
  };
}
export type Ingest = ReturnType<typeof createIngest>;
