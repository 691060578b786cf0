import { Channel, TOPIC_ROOT, TOPIC_VERSION } from '@wardline/protocol';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { AuthStats } from './authenticator.js';
import type { ReplicaStatus } from './credential-replica.js';
import { RefusalCode } from './errors.js';
import type { ConnectionCounts } from './identity-connections.js';
import type { RefusalCounts } from './refusals.js';

/** A message's lane, from its topic: the throttle's two uplink lanes, commands, and the rest. */
export type MessageLane = 'urgent' | 'routine' | 'command' | 'other';
const LANES: readonly MessageLane[] = ['urgent', 'routine', 'command', 'other'];
const UPLINK_CHANNELS = new Set<string>(Object.values(Channel));

export function laneOf(topic: string): MessageLane {
  // wardline/v1/{site}/{gateway}/{channel}[/...]
  const [root, version, , , channel] = topic.split('/', 5);
  if (root !== TOPIC_ROOT || version !== TOPIC_VERSION || channel === undefined) return 'other';
  if (channel === Channel.urgent) return 'urgent';
  if (channel === 'cmd') return 'command';
  return UPLINK_CHANNELS.has(channel) ? 'routine' : 'other';
}

/** What the broker already counts; read at each scrape, so metrics and /health always agree. */
export interface BrokerMetricSources {
  connections(): ConnectionCounts;
  auth(): AuthStats;
  /** The kit credentials replica; null when the broker has none. */
  credentials?(): ReplicaStatus | null;
  refusals(): RefusalCounts;
  /** Gateway connections paused by their publish rate limit now, and the PUBLISHes they hold. */
  throttled(): { clients: number; publishes: number };
  /** Bytes written to the server's sessions that their sockets have not taken yet. */
  serverBufferedBytes?(): number;
}

let processMetrics: Registry | undefined;

/**
 * CPU, memory, event loop and GC of this process, once per process: collectDefaultMetrics installs
 * observers that are never removed, so one per broker would pile up in tests that start many.
 */
export function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

/** Prometheus metrics of one broker, served on its health port at GET /metrics. */
export function createBrokerMetrics(sources: BrokerMetricSources) {
  // Now rather than at the first scrape: the event-loop monitor needs a while to have samples.
  const process = processRegistry();
  const registry = new Registry();
  const registers = [registry];
  const gauge = (name: string, help: string, value: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(value());
      },
    });

  new Gauge({
    name: 'wardline_broker_connections',
    help: 'MQTT connections admitted and open now, by role.',
    labelNames: ['role'] as const,
    registers,
    collect() {
      const counts = sources.connections();
      this.set({ role: 'gateway' }, counts.gateways);
      this.set({ role: 'server' }, counts.servers);
    },
  });
  gauge(
    'wardline_broker_gateway_connections_waiting',
    "Gateway connections waiting for their identity's previous connection to end.",
    () => sources.connections().waiting,
  );
  new Counter({
    name: 'wardline_broker_connections_replaced_total',
    help: 'Gateway connections closed because a newer one of the same gateway arrived.',
    registers,
    collect() {
      this.reset();
      this.inc(sources.connections().replaced);
    },
  });
  new Counter({
    name: 'wardline_broker_refusals_total',
    help: 'CONNECTs, PUBLISHes, wills, SUBSCRIBEs and packets refused, by code.',
    labelNames: ['code'] as const,
    registers,
    collect() {
      this.reset();
      const byCode = sources.refusals().byCode;
      for (const code of Object.values(RefusalCode)) this.inc({ code }, byCode[code] ?? 0);
    },
  });

  const received = new Counter({
    name: 'wardline_broker_messages_received_total',
    help: 'Messages clients published that the broker accepted, by lane.',
    labelNames: ['lane'] as const,
    registers,
  });
  const delivered = new Counter({
    name: 'wardline_broker_messages_delivered_total',
    help: 'Messages written to subscribers (live or from a persistent session), by lane.',
    labelNames: ['lane'] as const,
    registers,
  });
  for (const lane of LANES) {
    received.inc({ lane }, 0);
    delivered.inc({ lane }, 0);
  }

  gauge(
    'wardline_broker_server_buffered_bytes',
    'Bytes written to the server sessions that they have not read yet; past the allowance (16 MiB by default) gateways wait for the server.',
    () => sources.serverBufferedBytes?.() ?? 0,
  );
  gauge(
    'wardline_broker_throttled_clients',
    'Gateway connections whose reading is paused by their publish rate limit now.',
    () => sources.throttled().clients,
  );
  gauge(
    'wardline_broker_throttled_publishes',
    'PUBLISHes held (not yet acknowledged) by publish rate limits now.',
    () => sources.throttled().publishes,
  );
  gauge('wardline_broker_auth_running', 'Password checks running now.', () => sources.auth().hashing);
  gauge(
    'wardline_broker_auth_queued',
    'Password checks waiting for a slot (the authentication queue).',
    () => sources.auth().queued,
  );
  gauge(
    'wardline_broker_auth_backoff_addresses',
    'Addresses refused unchecked for now after repeated failed CONNECTs.',
    () => sources.auth().backoffAddresses,
  );

  if (sources.credentials) {
    const replica = sources.credentials;
    gauge(
      'wardline_broker_credentials_version',
      "The version of the server's kit credentials feed this broker holds.",
      () => replica()?.version ?? 0,
    );
    gauge(
      'wardline_broker_credentials_sync_age_seconds',
      'Seconds since the kit credentials were last synced from the server (-1: never).',
      () => replica()?.lastSyncAgeSeconds ?? -1,
    );
    gauge(
      'wardline_broker_credentials_stale',
      'Whether the kit credentials replica has not synced for too long (1) or is current (0).',
      () => (replica()?.stale ? 1 : 0),
    );
    new Counter({
      name: 'wardline_broker_credentials_sync_failures_total',
      help: 'Failed polls of the kit credentials feed.',
      registers,
      collect() {
        this.reset();
        this.inc(replica()?.syncFailures ?? 0);
      },
    });
  }

  return {
    received(topic: string): void {
      received.inc({ lane: laneOf(topic) });
    },
    delivered(topic: string): void {
      delivered.inc({ lane: laneOf(topic) });
    },
    /** This broker's metrics and the process's, in the Prometheus text format. */
    async exposition(): Promise<{ contentType: string; body: string }> {
      const merged = Registry.merge([registry, process]);
      return { contentType: merged.contentType, body: await merged.metrics() };
    },
  };
}
export type BrokerMetrics = ReturnType<typeof createBrokerMetrics>;
