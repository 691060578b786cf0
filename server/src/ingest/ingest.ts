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
import type { DeadLetterRepository } from '../db/dead-letter-repository.js';
import type { DeviceRepository, DeviceRoute } from '../db/device-repository.js';
import type { SqlDatabase } from '../db/engines/engine.js';
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

/** The time-series spool as ingest fills it, inside its transaction. */
export interface IngestSpool extends Pick<Spool, 'reserve' | 'enqueue'> {
  /** After a transaction that enqueued points has committed: the writer may send them. */
  committed?(): void;
}

export interface IngestDependencies {
  sql: SqlDatabase;
  observations: ObservationRepository;
  devices: DeviceRepository;
  deadLetters: DeadLetterRepository;
  metrics: IngestMetrics;
  log: FastifyBaseLogger;
  now?: () => Date;
  /** Durable queue for InfluxDB, filled in the same transaction; throws when full (backpressure). */
  spool?: IngestSpool | null;
  /**
   * Runs inside the transaction once its messages are stored (alert rules), once for a group of
   * messages (each patient scored once for the group, not once per message): commits with them.
   */
  afterStore?: (outcomes: readonly IngestOutcome[], at: Date) => void | Promise<void>;
}

export interface HandleOptions {
  /** Also clears the message's failure count, in the same transaction (after earlier failures). */
  clearFailures?: boolean;
}

// Counters move only once the transaction that earned them commits: a group that rolls back and
// is stored again one message at a time must not count its readings twice. One tally per
// transaction (transactions may overlap on PostgreSQL); plain numbers, not a closure per reading.
type Counted = 'messages' | 'accepted' | 'duplicates' | 'deviceStatuses' | 'gatewayStatuses';
interface Tally {
  counts: Record<Counted, number>;
  rejections: string[];
  /** Gateways whose rows the transaction ensured: known to exist once it commits. */
  gateways: Set<string>;
}
function emptyTally(): Tally {
  return {
    counts: { messages: 0, accepted: 0, duplicates: 0, deviceStatuses: 0, gatewayStatuses: 0 },
    rejections: [],
    gateways: new Set(),
  };
}

type Router = (deviceId: string) => Promise<DeviceRoute | undefined>;

interface Message {
  outcome: IngestOutcome;
  tally: Tally;
  topic: string;
  payload: Uint8Array;
  site: string;
  gatewayCode: string;
  /** The gateway's id on the server (`{site}:{gateway}`). */
  gatewayId: string;
  /** Device routes for the message's transaction. */
  route: Router;
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
 * Validates, routes and stores one MQTT message in a single transaction. When `handle` resolves,
 * everything accepted is durable and everything rejected is in the dead-letter list, so the
 * caller may acknowledge the message to the broker. Bad input is never thrown: it is rejected with
 * a code. What does throw is storage failing (hold the message, retry) or a fault in handling
 * (see `recordFailure` and `quarantine` for how the subscriber bounds those).
 */
export function createIngest(deps: IngestDependencies) {
  const { sql, observations, devices, deadLetters, metrics, log } = deps;
  const now = deps.now ?? (() => new Date());
  const failures = createIngestFailureRepository(sql);

  function count(tally: Tally) {
    for (const key of Object.keys(tally.counts) as Counted[]) metrics.counters[key] += tally.counts[key];
    for (const code of tally.rejections) metrics.reject(code);
  }

  /** Runs `work` in one transaction; its counts move once it has committed. */
  async function inTransaction<T>(work: (tally: Tally) => Promise<T>): Promise<T> {
    const tally = emptyTally();
    const result = await sql.transaction(() => work(tally));
    count(tally);
    devices.gatewaysCommitted(tally.gateways);
    if (tally.counts.accepted > 0) deps.spool?.committed?.();
    return result;
  }

  async function reject(
    m: Pick<Message, 'topic' | 'receivedAt' | 'tally' | 'outcome'>,
    payload: string | Uint8Array,
    rejection: Rejection,
  ) {
    await deadLetters.add({ topic: m.topic, payload, receivedAt: m.receivedAt, ...rejection });
    m.tally.rejections.push(rejection.code);
    m.outcome.rejections.push(rejection);
    log.warn({ topic: m.topic, code: rejection.code, detail: rejection.detail }, 'message rejected');
  }

  /**
   * Where a device's data belongs, if the publishing gateway may speak for the device: it must be
   * registered to the topic's site and, if pinned, to this gateway. Otherwise the item is
   * dead-lettered and nothing of it is stored, alerted or allowed to change the device.
   */
  async function scopedRoute(
    m: Message,
    deviceId: string,
    what: string,
    item: unknown,
  ): Promise<DeviceRoute | undefined> {
    const route = await m.route(deviceId);
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
      await reject(m, itemPayload(item, m.payload), rejection);
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
  async function attributed(route: DeviceRoute, measuredAt: string): Promise<DeviceRoute> {
    if (route.assignedAt === null || measuredAt >= route.assignedAt) return route;
    const then = await devices.assignmentAt(route.deviceId, measuredAt);
    if (then.owner === 'earlier') return { ...route, ...then.route };
    if (then.owner === 'first') return route;
    const early = Date.parse(route.assignedAt) - Date.parse(measuredAt);
    return early <= ASSIGNMENT_CLOCK_GRACE_MS
      ? route
      : { ...route, patientId: null, bedId: null, wardId: null, assignedAt: null };
  }

  async function ingestObservations(m: Message, json: unknown, urgentOnly: boolean) {
    const parsed = parseObservationBatch(json, { now: m.at.getTime(), urgentOnly });
    if (!parsed.ok) return reject(m, m.payload, parsed.rejection);
    await deps.spool?.reserve(parsed.value.results.length);
    // Validated and routed one by one; the message's readings then stored together.
    const routed: { what: string; raw: unknown; observation: Observation; route: DeviceRoute }[] = [];
    for (const [index, { raw, result }] of parsed.value.results.entries()) {
      const what = `observations[${index}]`;
      if (!result.ok) {
        const { code, detail } = result.rejection;
        await reject(m, itemPayload(raw, m.payload), { code, detail: `${what}: ${detail}` });
        continue;
      }
      // One textual form per instant, so that stored times sort as times.
      const observation = { ...result.value, measuredAt: new Date(result.value.measuredAt).toISOString() };
      const current = await scopedRoute(m, observation.deviceId, what, raw);
      if (!current) continue;
      routed.push({ what, raw, observation, route: await attributed(current, observation.measuredAt) });
    }
    if (routed.length === 0) return;
    const inserted = await observations.insertMany(
      routed.map(({ observation, route }) => ({
        observation,
        patientId: route.patientId,
        gatewayId: m.gatewayId,
        receivedAt: m.receivedAt,
      })),
    );
    // Each inserted id once, for its first item; the others are replays or conflicts.
    const claimed = new Set<string>();
    const fresh = new Set(
      routed.filter(({ observation: { id } }) => inserted.has(id) && !claimed.has(id) && claimed.add(id)),
    );
    // Readings of one instant keep distinct time-series timestamps in arrival order (see the spool).
    const sameInstant = ({ route, observation: o }: (typeof routed)[number]) =>
      `${route.patientId}|${o.kind}|${o.measuredAt}|${o.deviceId}`;
    const storedAfter = new Map<string, number>();
    for (const item of fresh)
      storedAfter.set(sameInstant(item), (storedAfter.get(sameInstant(item)) ?? 0) + 1);
    for (const item of routed) {
      const { what, raw, observation, route } = item;
      if (!fresh.has(item)) {
        // The id is taken: an exact replay is a duplicate; anything else must not pass as one.
        if (await observations.conflictsWithStored(observation)) {
          await reject(m, itemPayload(raw, m.payload), {
            code: RejectionCode.idConflict,
            detail: `${what}: id ${observation.id} is stored with other content; the stored reading is kept`,
          });
          continue;
        }
        m.outcome.duplicates++;
        m.tally.counts.duplicates++;
        continue;
      }
      const key = sameInstant(item);
      const after = storedAfter.get(key)! - 1;
      storedAfter.set(key, after);
      await deps.spool?.enqueue(observation, route.patientId, m.receivedAt, after);
      m.tally.counts.accepted++;
      m.outcome.observations.push({ observation, receivedAt: m.receivedAt, ...route });
    }
  }

  async function ingestDeviceStatuses(m: Message, json: unknown) {
    const parsed = parseDeviceStatusBatch(json);
    if (!parsed.ok) return reject(m, m.payload, parsed.rejection);
    for (const [index, status] of parsed.value.devices.entries()) {
      const what = `devices[${index}]`;
      const checked = checkDeviceStatus(status, { now: m.at.getTime() });
      if (!checked.ok) {
        const { code, detail } = checked.rejection;
        await reject(m, itemPayload(status, m.payload), { code, detail: `${what}: ${detail}` });
        continue;
      }
      const route = await scopedRoute(m, status.deviceId, what, status);
      if (!route) continue;
      await devices.saveDeviceStatus(status, m.gatewayId, m.receivedAt);
      m.tally.counts.deviceStatuses++;
      m.outcome.deviceStatuses.push({ status, ...route });
    }
  }

  async function ingestGatewayStatus(m: Message, json: unknown) {
    const parsed = parseGatewayStatus(json);
    if (!parsed.ok) return reject(m, m.payload, parsed.rejection);
    await devices.saveGatewayStatus(m.gatewayId, parsed.value, m.receivedAt);
    m.tally.counts.gatewayStatuses++;
    m.outcome.gatewayStatus = {
      gatewayId: m.gatewayId,
      wardId: await devices.gatewayWard(m.gatewayId),
      status: parsed.value,
    };
  }

  /** One message's readings and statuses, validated and stored; the caller holds the transaction. */
  async function store(
    tally: Tally,
    route: Router,
    topic: string,
    payload: Uint8Array,
    options: HandleOptions = {},
  ): Promise<IngestOutcome> {
    const outcome = emptyOutcome();
    const at = now();
    const receivedAt = at.toISOString();
    tally.counts.messages++;
    if (options.clearFailures) await failures.forget(messageHash(topic, payload));
    const address = parseUplinkTopic(topic);
    const decoded = address ? decodeJsonPayload(payload) : null;
    if (!address || !decoded?.ok) {
      const m = { outcome, tally, topic, receivedAt };
      const rejection = decoded?.ok === false ? decoded.rejection : null;
      await reject(
        m,
        payload,
        rejection ?? { code: RejectionCode.unknownTopic, detail: 'not an uplink topic' },
      );
      return outcome;
    }
    const gatewayId = await devices.ensureGateway(address.site, address.gateway);
    tally.gateways.add(gatewayId);
    const m: Message = {
      outcome,
      tally,
      topic,
      payload,
      site: address.site,
      gatewayCode: address.gateway,
      gatewayId,
      route,
      at,
      receivedAt,
    };
    switch (address.channel) {
      case Channel.observations:
        await ingestObservations(m, decoded.value, false);
        break;
      case Channel.urgent:
        await ingestObservations(m, decoded.value, true);
        break;
      case Channel.devices:
        await ingestDeviceStatuses(m, decoded.value);
        break;
      case Channel.status:
        await ingestGatewayStatus(m, decoded.value);
        break;
    }
    return outcome;
  }

  return {
    handle(topic: string, payload: Uint8Array, options: HandleOptions = {}): Promise<IngestOutcome> {
      return inTransaction(async (tally) => {
        const outcome = await store(tally, await devices.router(), topic, payload, options);
        await deps.afterStore?.([outcome], now());
        return outcome;
      });
    },

    /**
     * Several messages in one transaction and one commit (one WAL sync): all durable when it
     * resolves, or none if it throws (the subscriber then stores them one at a time).
     */
    handleGroup(messages: readonly { topic: string; payload: Uint8Array }[]): Promise<IngestOutcome[]> {
      return inTransaction(async (tally) => {
        const outcomes: IngestOutcome[] = [];
        const route = await devices.router();
        for (const m of messages) outcomes.push(await store(tally, route, m.topic, m.payload));
        await deps.afterStore?.(outcomes, now());
        return outcomes;
      });
    },

    /**
     * Counts one more failed attempt at a message, in a statement of its own so that the count
     * survives the failed message's rollback and a restart. Returns the attempts so far.
     */
    recordFailure(topic: string, payload: Uint8Array, error: string): Promise<number> {
      return failures.record(messageHash(topic, payload), topic, error, now().toISOString());
    },

    /**
     * Sets aside a message that keeps failing: its raw bytes go to the dead-letter list as
     * PROCESSING_FAILED and its failure count is cleared, so it can be acknowledged.
     */
    quarantine(
      topic: string,
      payload: Uint8Array,
      attempts: number,
      lastError: string,
    ): Promise<IngestOutcome> {
      return inTransaction(async (tally) => {
        const outcome = emptyOutcome();
        const m = { outcome, tally, topic, receivedAt: now().toISOString() };
        await reject(m, payload, {
          code: RejectionCode.processingFailed,
          detail: `handling failed ${attempts} times; last error: ${lastError.slice(0, 300)}`,
        });
        await failures.forget(messageHash(topic, payload));
        return outcome;
      });
    },
  };
}
export type Ingest = ReturnType<typeof createIngest>;
