/**
 * The MQTT side of the gateway (mqtt.js, MQTT 3.1.1).
 *
 * - Persistent session: clean:false with a stable client id, so the broker keeps the session
 *   across reconnections.
 * - Several brokers (failover): one connection at a time, to the first broker of the list at
 *   start; each new connection attempt (after one failed, or after the connection was lost) goes
 *   to the next broker, round-robin, at the usual reconnect period. Connected, it stays: nothing
 *   moves it back to the first broker. mqtt.js's own `servers` option is not used: it keeps the
 *   TLS server name (SNI and certificate check) of the first mqtts broker for every later one,
 *   and one WebSocket path for all (mqtt.js 5.16 lib/connect/index.js, tls.js).
 * - Nothing assumes the broker kept a session: a new broker has none. The batches awaiting
 *   PUBACK are re-sent on every connection whatever the CONNACK's session-present flag says.
 * - Last will: the retained GatewayStatus `offline` on the status topic, published by the broker
 *   if the connection dies without a DISCONNECT. On every connection the gateway publishes the
 *   retained `online` status (refreshed with outbox figures every status interval); on a graceful
 *   stop it publishes `offline` itself.
 * - Observations: drained from the outbox in batches `{ v: 1, sentAt, observations }` at QoS 1.
 *   An observation leaves the outbox only when the broker's PUBACK for its batch arrives. A batch
 *   in flight when the connection drops is re-sent by mqtt.js on reconnection (its in-flight store
 *   is resent whatever the broker's session state); a batch whose publish fails, or whose PUBACK
 *   does not come within ackTimeoutMs of being sent on a live connection, is handed out again by
 *   the outbox. Re-sends may duplicate, never lose: the server de-duplicates by observation id.
 * - Urgent batches (protocol isUrgentKind: falls sensor events) are sent at once, even while a
 *   routine batch is in flight.
 * - Device status batches go to the devices topic at QoS 1 when connected; they are current state,
 *   so one missed while offline is superseded by the next.
 */
import {
  Channel,
  gatewayTopic,
  isUrgentKind,
  MAX_BATCH_SIZE,
  MAX_PAYLOAD_BYTES,
  OBSERVATION_BATCH_VERSION,
  parseDeviceStatusBatch,
  STATUS_VERSION,
  type DeviceStatus,
  type GatewayAddress,
  type GatewayStatus,
  type Observation,
  type ObservationBatch,
} from '@wardline/protocol';
import { MqttClient, type IClientOptions, type IStream } from 'mqtt';
import { createRequire } from 'node:module';
import { parseBrokerUrls, type BrokerEndpoint, type BrokerProtocol } from './broker-urls.js';
import type { Logger } from './logger.js';
import type { Outbox } from './queue.js';

export interface BrokerOptions {
  /**
   * mqtt://host:port, mqtts://host:port (or ws://, wss://); or several, tried in this order, the
   * gateway moving to the next when it cannot reach one or loses its connection.
   */
  url: string | readonly string[];
  username?: string;
  /** From the environment only (WARDLINE_GATEWAY_PASSWORD); never logged. */
  password?: string;
  /** CA certificate(s), PEM, for mqtts:// with a private CA. */
  ca?: string | Buffer;
  /** Stable per gateway; default its user name (the broker accepts only that or `{username}:{suffix}`). */
  clientId?: string;
  /** Pause before each new connection attempt (to the next broker, with several). Default 2000. */
  reconnectPeriodMs?: number;
  /** Default 10 000. */
  connectTimeoutMs?: number;
  /** Default 30. */
  keepaliveSeconds?: number;
}

export interface PublisherOptions {
  address: GatewayAddress;
  broker: BrokerOptions;
  outbox: Outbox;
  logger: Logger;
  software?: string;
  /** Observations per batch, at most MAX_BATCH_SIZE. Default 100. */
  batchSize?: number;
  /** Routine batches awaiting PUBACK at once. Default 1 (strict order). */
  maxInFlightBatches?: number;
  /** Re-send a batch whose PUBACK has not come this long after sending on a live link. Default 30 000. */
  ackTimeoutMs?: number;
  /**
   * Routine observations sent per second at most, so a gateway back from a long outage replays
   * its backlog without flooding the broker and server. Urgent ones are never held back.
   * Default 2000.
   */
  routinePerSecond?: number;
  now?: () => number;
  /** Called on every (re)connection, after the online status. */
  onConnect?: () => void;
}

export interface PublisherStats {
  connected: boolean;
  /** The broker connected to, or being tried: scheme://host:port, nothing secret. */
  broker: string;
  /** Connections made to a broker other than the one of the connection before. */
  failovers: number;
  connects: number;
  connectionLosses: number;
  batchesPublished: number;
  observationsPublished: number;
  inFlightBatches: number;
  publishErrors: number;
  ackTimeouts: number;
  deviceStatusBatches: number;
}

interface InFlight {
  ids: string[];
  urgent: boolean;
  sentAt: number;
}

/** The gateway's MQTT user name, which the broker requires as its client id (or `{username}:{suffix}`). */
export function defaultClientId(address: GatewayAddress, username?: string): string {
  return username ?? `${address.site}.${address.gateway}`;
}

export class Publisher {
  private readonly options: PublisherOptions;
  private readonly now: () => number;
  private readonly batchSize: number;
  private readonly maxInFlight: number;
  private readonly ackTimeoutMs: number;
  private readonly topics: Record<Channel, string>;
  private client: MqttClient | undefined;
  private readonly inFlight = new Map<number, InFlight>();
  /** Observation id -> the batch token currently carrying it. */
  private readonly carrying = new Map<string, number>();
  private nextToken = 1;
  private connectedAt = 0;
  private drainScheduled = false;
  private readonly routinePerSecond: number;
  /** Real time before which the next routine batch must wait (the replay rate). */
  private routineNotBefore = 0;
  private rateTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly brokers: BrokerEndpoint[];
  /** Index in `brokers` of the connection being made or held; -1 before the first. */
  private brokerIndex = -1;
  /** Index of the broker the last successful connection was to. */
  private connectedIndex = -1;
  private readonly counts: Omit<PublisherStats, 'connected' | 'inFlightBatches' | 'broker'> = {
    failovers: 0,
    connects: 0,
    connectionLosses: 0,
    batchesPublished: 0,
    observationsPublished: 0,
    publishErrors: 0,
    ackTimeouts: 0,
    deviceStatusBatches: 0,
  };

  constructor(options: PublisherOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.batchSize = Math.min(MAX_BATCH_SIZE, Math.max(1, options.batchSize ?? 100));
    this.maxInFlight = Math.max(1, options.maxInFlightBatches ?? 1);
    this.ackTimeoutMs = options.ackTimeoutMs ?? 30_000;
    this.routinePerSecond = Math.max(1, options.routinePerSecond ?? 2000);
    const urls = options.broker.url;
    this.brokers = parseBrokerUrls(typeof urls === 'string' ? [urls] : urls);
    this.topics = {
      obs: gatewayTopic(options.address, Channel.observations),
      urgent: gatewayTopic(options.address, Channel.urgent),
      devices: gatewayTopic(options.address, Channel.devices),
      status: gatewayTopic(options.address, Channel.status),
    };
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  start(): void {
    if (this.client) return;
    const { broker, address, logger } = this.options;
    const clientOptions: IClientOptions = {
      clientId: broker.clientId ?? defaultClientId(address, broker.username),
      clean: false,
      protocolVersion: 4,
      keepalive: broker.keepaliveSeconds ?? 30,
      reconnectPeriod: broker.reconnectPeriodMs ?? 2000,
      // A busy broker refuses with CONNACK 3 (server unavailable): try again, as after any drop.
      reconnectOnConnackError: true,
      connectTimeout: broker.connectTimeoutMs ?? 10_000,
      resubscribe: false,
      queueQoSZero: false,
      // mqtt-packet's default pre-builds 65,536 two-byte Buffers for packet ids (about 6 MiB of
      // heap, a tenth of a hub's budget); a gateway sends a few packets a second at most.
      writeCache: false,
      will: {
        topic: this.topics.status,
        payload: Buffer.from(JSON.stringify(this.gatewayStatus('offline'))),
        qos: 1,
        retain: true,
      },
      ...(broker.username !== undefined ? { username: broker.username } : {}),
      ...(broker.password !== undefined ? { password: broker.password } : {}),
      ...(broker.ca !== undefined ? { ca: broker.ca, rejectUnauthorized: true } : {}),
    };
    // mqtt.js calls this for every connection attempt, the first and each reconnection.
    const streamBuilder = (mqttClient: MqttClient): IStream => {
      this.brokerIndex = (this.brokerIndex + 1) % this.brokers.length;
      const endpoint = this.brokers[this.brokerIndex]!;
      if (this.brokers.length > 1) logger.debug({ broker: endpoint.label }, 'connecting to broker');
      // A fresh options object per attempt: mqtt.js's builders write the host's TLS server name into it.
      return streamBuilderFor(endpoint.protocol)(mqttClient, {
        ...clientOptions,
        protocol: endpoint.protocol,
        host: endpoint.host,
        hostname: endpoint.host,
        port: endpoint.port,
        ...(endpoint.path !== undefined ? { path: endpoint.path } : {}),
      });
    };
    const client = new MqttClient(streamBuilder, clientOptions);
    this.client = client;

    client.on('connect', (connack) => {
      this.counts.connects++;
      this.connectedAt = this.now();
      const from = this.connectedIndex;
      this.connectedIndex = this.brokerIndex;
      const broker = this.brokers[this.brokerIndex]!.label;
      if (from !== -1 && from !== this.brokerIndex) {
        this.counts.failovers++;
        logger.warn(
          { broker, from: this.brokers[from]!.label, failovers: this.counts.failovers },
          'failed over to another broker',
        );
      }
      logger.info(
        {
          broker,
          sessionPresent: connack.sessionPresent,
          connects: this.counts.connects,
          pending: this.options.outbox.size(),
          inFlightBatches: this.inFlight.size,
        },
        'connected to broker',
      );
      this.publishOnline();
      this.drain(); // urgent observations first, ahead of device status
      this.options.onConnect?.();
    });
    client.on('close', () => {
      if (this.connectedAt > 0 && !this.stopped) {
        this.counts.connectionLosses++;
        logger.warn(
          {
            broker: this.brokers[this.brokerIndex]?.label,
            pending: this.options.outbox.size(),
            inFlightBatches: this.inFlight.size,
          },
          'broker connection lost; readings stay in the outbox',
        );
      }
      this.connectedAt = 0;
    });
    client.on('error', (err) => {
      logger.warn(
        {
          broker: this.brokers[this.brokerIndex]?.label,
          code: (err as NodeJS.ErrnoException).code,
          err: err.message,
        },
        'broker connection error',
      );
    });
    client.on('reconnect', () => logger.debug({}, 'reconnecting to broker'));

    this.watchdog = setInterval(
      () => this.checkAckTimeouts(),
      Math.min(5000, Math.max(50, this.ackTimeoutMs / 4)),
    );
  }

  /** Something was queued: drain soon (coalesced). */
  kick(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  stats(): PublisherStats {
    const index = this.connected ? this.connectedIndex : Math.max(0, this.brokerIndex);
    return {
      ...this.counts,
      connected: this.connected,
      broker: this.brokers[index]!.label,
      inFlightBatches: this.inFlight.size,
    };
  }

  /** Publishes the retained online status (with outbox figures). */
  publishOnline(): void {
    if (!this.connected) return;
    this.client?.publish(
      this.topics.status,
      JSON.stringify(this.gatewayStatus('online')),
      { qos: 1, retain: true },
      (err) => {
        if (err) this.options.logger.warn({ err: err.message }, 'online status not published');
      },
    );
  }

  /** Publishes device status batches; returns how many devices were sent (0 when offline). */
  publishDeviceStatuses(statuses: DeviceStatus[]): number {
    if (!this.connected || statuses.length === 0) return 0;
    let sent = 0;
    for (let i = 0; i < statuses.length; i += MAX_BATCH_SIZE) {
      const batch = { v: STATUS_VERSION, devices: statuses.slice(i, i + MAX_BATCH_SIZE) };
      const checked = parseDeviceStatusBatch(batch);
      if (!checked.ok) {
        this.options.logger.error(
          { code: checked.rejection.code, detail: checked.rejection.detail },
          'device status batch invalid',
        );
        continue;
      }
      this.client?.publish(this.topics.devices, JSON.stringify(batch), { qos: 1 }, (err) => {
        if (err) this.options.logger.warn({ err: err.message }, 'device status batch not published');
      });
      this.counts.deviceStatusBatches++;
      sent += batch.devices.length;
    }
    return sent;
  }

  /**
   * Graceful stop: keeps draining for up to drainTimeoutMs while connected, publishes the retained
   * offline status, then disconnects. What is still in the outbox is reported by the caller.
   */
  async stop(drainTimeoutMs = 5000): Promise<void> {
    if (this.stopped) return;
    const client = this.client;
    const deadline = Date.now() + drainTimeoutMs;
    while (
      client?.connected &&
      (this.options.outbox.size() > 0 || this.inFlight.size > 0) &&
      Date.now() < deadline
    ) {
      this.kick();
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    this.stopped = true;
    clearInterval(this.watchdog);
    clearTimeout(this.retryTimer);
    clearTimeout(this.rateTimer);
    if (!client) return;
    let saidGoodbye = false;
    if (client.connected) {
      try {
        await withTimeout(
          client.publishAsync(this.topics.status, JSON.stringify(this.gatewayStatus('offline')), {
            qos: 1,
            retain: true,
          }),
          1500,
        );
        saidGoodbye = true;
      } catch (err) {
        this.options.logger.warn({ err: (err as Error).message }, 'offline status not published');
      }
    }
    // Without a goodbye, close abruptly: the broker then publishes the last will (offline) itself.
    await withTimeout(client.endAsync(!saidGoodbye), 1500).catch(() => client.endAsync(true));
  }

  private gatewayStatus(state: 'online' | 'offline'): GatewayStatus {
    const status: GatewayStatus = { v: STATUS_VERSION, state, at: new Date(this.now()).toISOString() };
    if (this.options.software) status.software = this.options.software.slice(0, 64);
    if (state === 'online') {
      const stats = this.options.outbox.stats();
      status.outbox = { pending: stats.pending, capacity: stats.capacity };
    }
    return status;
  }

  private routineInFlight(): number {
    let n = 0;
    for (const batch of this.inFlight.values()) if (!batch.urgent) n++;
    return n;
  }

  private drain(): void {
    const client = this.client;
    if (!client?.connected || this.stopped) return;
    for (;;) {
      let batch = this.options.outbox.peekBatch(this.batchSize, this.carrying);
      if (batch.length === 0) return;
      const urgent = isUrgentKind((batch[0] as Observation).kind);
      if (!urgent && this.routineInFlight() >= this.maxInFlight) return;
      if (!urgent && this.holdForRate()) return;
      let payload = this.payload(batch);
      while (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES && batch.length > 1) {
        batch = batch.slice(0, Math.ceil(batch.length / 2));
        payload = this.payload(batch);
      }
      this.send(client, batch, payload, urgent);
      if (!urgent) {
        this.routineNotBefore =
          Math.max(Date.now(), this.routineNotBefore) + (batch.length * 1000) / this.routinePerSecond;
      }
    }
  }

  /** True (and a drain scheduled) when the replay rate says the next routine batch must wait. */
  private holdForRate(): boolean {
    const wait = this.routineNotBefore - Date.now();
    if (wait <= 0) return false;
    if (!this.rateTimer && !this.stopped) {
      this.rateTimer = setTimeout(() => {
        this.rateTimer = undefined;
        this.kick();
      }, wait);
    }
    return true;
  }

  private payload(observations: Observation[]): string {
    const batch: ObservationBatch = {
      v: OBSERVATION_BATCH_VERSION,
      sentAt: new Date(this.now()).toISOString(),
      observations,
    };
    return JSON.stringify(batch);
  }

  private send(client: MqttClient, batch: Observation[], payload: string, urgent: boolean): void {
    const token = this.nextToken++;
    const ids = batch.map((o) => o.id);
    this.inFlight.set(token, { ids, urgent, sentAt: this.now() });
    for (const id of ids) this.carrying.set(id, token);
    this.options.logger.debug(
      { token, size: ids.length, urgent, bytes: Buffer.byteLength(payload) },
      'batch sent',
    );
    client.publish(urgent ? this.topics.urgent : this.topics.obs, payload, { qos: 1 }, (err) => {
      if (err) {
        this.counts.publishErrors++;
        this.release(token);
        this.options.logger.warn(
          { token, size: ids.length, err: err.message },
          'batch not acknowledged; will retry',
        );
        this.retryLater();
        return;
      }
      // PUBACK: the broker has the batch. Even if the watchdog already re-sent it, these are done.
      const removed = this.options.outbox.ack(ids);
      this.release(token);
      this.counts.batchesPublished++;
      this.counts.observationsPublished += removed;
      this.options.logger.debug({ token, acked: removed }, 'batch acknowledged');
      this.kick();
    });
  }

  private release(token: number): void {
    const batch = this.inFlight.get(token);
    if (!batch) return;
    this.inFlight.delete(token);
    for (const id of batch.ids) if (this.carrying.get(id) === token) this.carrying.delete(id);
  }

  private retryLater(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, 1000);
  }

  private checkAckTimeouts(): void {
    if (!this.connected) return;
    const now = this.now();
    for (const [token, batch] of this.inFlight) {
      if (now - Math.max(batch.sentAt, this.connectedAt) > this.ackTimeoutMs) {
        this.counts.ackTimeouts++;
        this.release(token);
        this.options.logger.warn(
          { token, size: batch.ids.length },
          'no PUBACK in time; batch will be re-sent',
        );
        this.kick();
      }
    }
  }
}

type StreamBuilder = (client: MqttClient, options: IClientOptions) => IStream;
const load = createRequire(import.meta.url);

/** mqtt.js's own transport for a protocol (its TLS checks, its WebSocket stream), loaded when first used. */
function streamBuilderFor(protocol: BrokerProtocol): StreamBuilder {
  switch (protocol) {
    case 'mqtt':
      return (load('mqtt/lib/connect/tcp') as { default: StreamBuilder }).default;
    case 'mqtts':
      return (load('mqtt/lib/connect/tls') as { default: StreamBuilder }).default;
    case 'ws':
    case 'wss':
      return (load('mqtt/lib/connect/ws') as { streamBuilder: StreamBuilder }).streamBuilder;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
