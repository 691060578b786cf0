/**
 * One simulated gateway's MQTT side, behaving as the real gateway does on the wire: its own
 * connection and credentials, a persistent session (clean: false) with a stable client id, a
 * retained online status with an offline last will, and an outbox that publishes QoS 1 batches
 * one at a time, urgent kinds (falls, help calls) first and on their own topic, removing readings
 * only on PUBACK.
 * The outbox is in memory: the fleet stands in for thousands of gateways in one process; the
 * real gateway's durable outbox is tested on its own.
 */
import {
  Channel,
  MAX_BATCH_SIZE,
  OBSERVATION_BATCH_VERSION,
  STATUS_VERSION,
  gatewayTopic,
  isUrgentKind,
  type Observation,
} from '@wardline/protocol';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { FleetGateway } from './plan.js';

/** CONNACK return code 3 [MQTT-3.2.2.3]: the broker cannot serve the client now. */
const SERVER_UNAVAILABLE = 3;

export interface FleetConnectionOptions {
  url: string;
  /**
   * A broker cluster's nodes, tried in turn after a lost connection (as the gateway's broker list);
   * each gateway's list starts at a node of its own, so the fleet spreads over the cluster.
   * When given, `url` is not used.
   */
  urls?: readonly string[];
  password: (gateway: FleetGateway) => string;
  /** Default 30 s, as the gateway. */
  keepaliveSeconds?: number;
  /** Automatic reconnect after a lost connection; default 2000 ms, as the gateway. */
  reconnectPeriodMs?: number;
  /** Observations per batch; default 100, as the gateway. */
  batchSize?: number;
  /** Publish the retained online status on connect and an offline will. Default true. */
  announce?: boolean;
  /** Called with each batch once the broker has acknowledged it. */
  onAcked?: (gateway: FleetGateway, observations: readonly Observation[]) => void;
}

export class FleetGatewayClient {
  #client: MqttClient | null = null;
  readonly #urgent: Observation[] = [];
  readonly #routine: Observation[] = [];
  /** The routine batch awaiting its PUBACK (one at a time), and urgent ones (never held back). */
  #routineInFlight: Observation[] | null = null;
  readonly #urgentInFlight = new Set<Observation[]>();
  #generation = 0;
  #offline = false;
  readonly #topics: { obs: string; urgent: string; status: string };
  readonly #batchSize: number;
  taken = 0;
  acked = 0;
  connects = 0;

  constructor(
    readonly gateway: FleetGateway,
    private readonly options: FleetConnectionOptions,
  ) {
    this.#topics = {
      obs: gatewayTopic(gateway, Channel.observations),
      urgent: gatewayTopic(gateway, Channel.urgent),
      status: gatewayTopic(gateway, Channel.status),
    };
    this.#batchSize = Math.min(MAX_BATCH_SIZE, options.batchSize ?? 100);
  }

  get connected(): boolean {
    return this.#client?.connected === true;
  }

  /** Readings taken and not yet acknowledged by the broker (queued or in flight). */
  get pending(): number {
    return this.taken - this.acked;
  }

  /**
   * Connects (again after `goOffline`); resolves on CONNACK, rejects on refusal. A busy broker's
   * CONNACK 3 (server unavailable) is not a refusal: mqtt.js tries again, as the gateway does.
   */
  connect(): Promise<void> {
    this.#offline = false;
    if (this.#client) return Promise.resolve();
    const client = this.options.urls
      ? mqtt.connect({ ...this.#clientOptions(), servers: this.#servers(this.options.urls) })
      : mqtt.connect(this.options.url, this.#clientOptions());
    this.#client = client;
    client.on('connect', () => {
      this.connects++;
      if (this.options.announce !== false) this.#publishStatus('online');
      this.#pump();
    });
    // Failures surface through connect()'s promise and the counts: a fleet must not log each one.
    client.on('error', () => {});
    return new Promise<void>((resolve, reject) => {
      const onConnect = () => {
        client.off('error', onError);
        resolve();
      };
      const onError = (err: Error & { code?: unknown }) => {
        if (err.code === SERVER_UNAVAILABLE) return;
        client.off('connect', onConnect);
        client.off('error', onError);
        reject(err);
      };
      client.once('connect', onConnect);
      client.on('error', onError);
    });
  }

  /** Takes a reading: it waits in the outbox until the broker acknowledges it. */
  take(observation: Observation): void {
    this.taken++;
    (isUrgentKind(observation.kind) ? this.#urgent : this.#routine).push(observation);
    this.#pump();
  }

  /**
   * A drop-out: the connection ends without a goodbye (the broker publishes the will) and
   * readings queue until `connect()`. A batch in flight goes back to the outbox and is sent
   * again, as a real gateway does: the broker may have had it, and the server de-duplicates.
   */
  async goOffline(): Promise<void> {
    await this.close(true);
  }

  /** Ends the connection; `force` skips waiting for in-flight acknowledgements. */
  async close(force = false): Promise<void> {
    this.#offline = true;
    const client = this.#client;
    this.#client = null;
    this.#generation++;
    if (this.#routineInFlight) {
      this.#routine.unshift(...this.#routineInFlight);
      this.#routineInFlight = null;
    }
    for (const batch of this.#urgentInFlight) this.#urgent.unshift(...batch);
    this.#urgentInFlight.clear();
    if (!client) return;
    if (force) client.stream?.destroy();
    await new Promise<void>((resolve) => client.end(force, {}, () => resolve()));
  }

  #servers(urls: readonly string[]): { host: string; port: number }[] {
    let start = 0;
    for (const c of this.gateway.username) start = (start * 31 + c.charCodeAt(0)) >>> 0;
    return urls.map((_, k) => {
      const { hostname, port } = new URL(urls[(start + k) % urls.length]!);
      return { host: hostname, port: Number(port) };
    });
  }

  #clientOptions(): IClientOptions {
    const { gateway, options } = this;
    return {
      // The broker accepts a gateway's own user name (or `{username}:{suffix}`) as its client id.
      clientId: gateway.username,
      username: gateway.username,
      password: options.password(gateway),
      clean: false,
      protocolVersion: 4,
      keepalive: options.keepaliveSeconds ?? 30,
      reconnectPeriod: options.reconnectPeriodMs ?? 2000,
      // As the gateway: a busy broker refuses with CONNACK 3 (server unavailable); try again.
      reconnectOnConnackError: true,
      connectTimeout: 30_000,
      resubscribe: false,
      queueQoSZero: false,
      ...(options.announce !== false
        ? { will: { topic: this.#topics.status, payload: this.#status('offline'), qos: 1, retain: true } }
        : {}),
    };
  }

  #status(state: 'online' | 'offline'): Buffer {
    return Buffer.from(JSON.stringify({ v: STATUS_VERSION, state, at: new Date().toISOString() }));
  }

  #publishStatus(state: 'online' | 'offline'): void {
    this.#client?.publish(this.#topics.status, this.#status(state), { qos: 1, retain: true }, () => {});
  }

  /**
   * As the gateway: urgent batches go out at once, whatever is in flight; routine ones one at a
   * time. A batch not acknowledged when the connection closes goes back to the outbox.
   */
  #pump(): void {
    const client = this.#client;
    if (this.#offline || !client?.connected) return;
    while (this.#urgent.length > 0) this.#send(client, this.#urgent.splice(0, this.#batchSize), true);
    if (!this.#routineInFlight && this.#routine.length > 0)
      this.#send(client, this.#routine.splice(0, this.#batchSize), false);
  }

  #send(client: MqttClient, batch: Observation[], urgent: boolean): void {
    if (urgent) this.#urgentInFlight.add(batch);
    else this.#routineInFlight = batch;
    const generation = this.#generation;
    const payload = JSON.stringify({
      v: OBSERVATION_BATCH_VERSION,
      sentAt: new Date().toISOString(),
      observations: batch,
    });
    client.publish(urgent ? this.#topics.urgent : this.#topics.obs, payload, { qos: 1 }, (err) => {
      if (generation !== this.#generation) return; // connection closed: close() re-queued the batch
      if (urgent) this.#urgentInFlight.delete(batch);
      else this.#routineInFlight = null;
      if (err) {
        (urgent ? this.#urgent : this.#routine).unshift(...batch);
        return;
      }
      this.acked += batch.length;
      this.options.onAcked?.(this.gateway, batch);
      this.#pump();
    });
  }
}
