import {
  Channel,
  RejectionCode,
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
import type { ObservationRepository } from '../db/observation-repository.js';
import type { Spool } from '../timeseries/spool.js';
import type { IngestMetrics } from './metrics.js';

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
  /** Runs inside the message's transaction once it is stored (alert rules): commits with it. */
  afterStore?: (outcome: IngestOutcome, at: Date) => void;
}

function emptyOutcome(): IngestOutcome {
  return { observations: [], deviceStatuses: [], gatewayStatus: null, duplicates: 0, rejections: [] };
}

/**
 * Validates, routes and stores one MQTT message in a single transaction. When `handle` returns,
 * everything accepted is durable and everything rejected is in the dead-letter list, so the
 * caller may acknowledge the message to the broker. It never throws for bad input.
 */
export function createIngest(deps: IngestDependencies) {
  const { db, observations, devices, deadLetters, metrics, log } = deps;
  const now = deps.now ?? (() => new Date());

  function rejectMessage(
    outcome: IngestOutcome,
    topic: string,
    payload: string | Uint8Array,
    rejection: Rejection,
    receivedAt: string,
  ) {
    deadLetters.add({ topic, payload, receivedAt, ...rejection });
    metrics.reject(rejection.code);
    outcome.rejections.push(rejection);
    log.warn({ topic, code: rejection.code, detail: rejection.detail }, 'message rejected');
  }

  /** Where a device's data belongs; an unregistered device's data is dead-lettered whole. */
  function routeOrReject(
    outcome: IngestOutcome,
    topic: string,
    item: { deviceId: string },
    receivedAt: string,
  ): DeviceRoute | undefined {
    const route = devices.route(item.deviceId);
    if (!route) {
      const detail = `device ${item.deviceId} is not registered`;
      rejectMessage(
        outcome,
        topic,
        JSON.stringify(item),
        { code: RejectionCode.unknownDevice, detail },
        receivedAt,
      );
    }
    return route;
  }

  function ingestObservations(
    outcome: IngestOutcome,
    topic: string,
    json: unknown,
    gateway: string,
    at: Date,
  ) {
    const receivedAt = at.toISOString();
    const parsed = parseObservationBatch(json, { now: at.getTime() });
    if (!parsed.ok) return rejectMessage(outcome, topic, JSON.stringify(json), parsed.rejection, receivedAt);
    deps.spool?.reserve(parsed.value.results.length);
    for (const { raw, result } of parsed.value.results) {
      if (!result.ok) {
        rejectMessage(outcome, topic, JSON.stringify(raw), result.rejection, receivedAt);
        continue;
      }
      // One textual form per instant, so that stored times sort as times.
      const observation = { ...result.value, measuredAt: new Date(result.value.measuredAt).toISOString() };
      const route = routeOrReject(outcome, topic, observation, receivedAt);
      if (!route) continue;
      const stored = observations.insert({
        observation,
        patientId: route.patientId,
        gatewayId: gateway,
        receivedAt,
      });
      if (!stored) {
        outcome.duplicates++;
        metrics.counters.duplicates++;
        continue;
      }
      deps.spool?.enqueue(observation, route.patientId, receivedAt);
      metrics.counters.accepted++;
      outcome.observations.push({ observation, receivedAt, ...route });
    }
  }

  function ingestDeviceStatuses(
    outcome: IngestOutcome,
    topic: string,
    json: unknown,
    gateway: string,
    at: Date,
  ) {
    const receivedAt = at.toISOString();
    const parsed = parseDeviceStatusBatch(json);
    if (!parsed.ok) return rejectMessage(outcome, topic, JSON.stringify(json), parsed.rejection, receivedAt);
    for (const status of parsed.value.devices) {
      const route = routeOrReject(outcome, topic, status, receivedAt);
      if (!route) continue;
      devices.saveDeviceStatus(status, gateway, receivedAt);
      metrics.counters.deviceStatuses++;
      outcome.deviceStatuses.push({ status, ...route });
    }
  }

  const handleInTransaction = db.transaction((topic: string, payload: Uint8Array): IngestOutcome => {
    const outcome = emptyOutcome();
    const at = now();
    metrics.counters.messages++;
    const address = parseUplinkTopic(topic);
    if (!address) {
      rejectMessage(
        outcome,
        topic,
        payload,
        { code: RejectionCode.unknownTopic, detail: 'not an uplink topic' },
        at.toISOString(),
      );
      return outcome;
    }
    const decoded = decodeJsonPayload(payload);
    if (!decoded.ok) {
      rejectMessage(outcome, topic, payload, decoded.rejection, at.toISOString());
      return outcome;
    }
    const gateway = devices.ensureGateway(address.site, address.gateway);
    switch (address.channel) {
      case Channel.observations:
      case Channel.urgent:
        ingestObservations(outcome, topic, decoded.value, gateway, at);
        break;
      case Channel.devices:
        ingestDeviceStatuses(outcome, topic, decoded.value, gateway, at);
        break;
      case Channel.status: {
        const parsed = parseGatewayStatus(decoded.value);
        if (!parsed.ok) {
          rejectMessage(outcome, topic, payload, parsed.rejection, at.toISOString());
          break;
        }
        devices.saveGatewayStatus(gateway, parsed.value, at.toISOString());
        metrics.counters.gatewayStatuses++;
        outcome.gatewayStatus = {
          gatewayId: gateway,
          wardId: devices.gatewayWard(gateway),
          status: parsed.value,
        };
        break;
      }
    }
    deps.afterStore?.(outcome, at);
    return outcome;
  });

  // Each message keeps its own savepoint inside; the group shares one commit (one WAL sync).
  const handleGroupInTransaction = db.transaction(
    (messages: readonly { topic: string; payload: Uint8Array }[]): IngestOutcome[] =>
      messages.map((m) => handleInTransaction(m.topic, m.payload)),
  );

  return {
    handle(topic: string, payload: Uint8Array): IngestOutcome {
      return handleInTransaction(topic, payload);
    },
    /** Several messages in one transaction: all durable when it returns, or none if it throws. */
    handleGroup(messages: readonly { topic: string; payload: Uint8Array }[]): IngestOutcome[] {
      return handleGroupInTransaction(messages);
    },
  };
}
export type Ingest = ReturnType<typeof createIngest>;
