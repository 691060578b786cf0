import type { FastifyBaseLogger } from 'fastify';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDurableStore } from '../ingest/durable-store.js';
import type { Ingest, IngestOutcome } from '../ingest/ingest.js';
import { noSessionMonitor, type SessionMonitor } from '../ingest/monitor.js';
import { groupCommit } from './group-commit.js';

export interface SubscriberOptions {
  url: string;
  clientId: string;
  /** Topic filters of this session (the main one, or the urgent lane's). */
  subscriptions: string[];
  username: string;
  password: string;
  ca?: Buffer;
  ingest: Ingest;
  log: FastifyBaseLogger;
  /**
   * Called once per committed group with its outcomes in commit order, before onOutcome is called
   * for each of them: to push the group's readings to dashboards in one event per ward.
   */
  onOutcomes?: (outcomes: readonly IngestOutcome[]) => void;
  /** Called for each message once it is durable (after onOutcomes for its group): alerts. */
  onOutcome: (outcome: IngestOutcome) => void | Promise<void>;
  /** Where the session reports progress, refusals and failures (health, /metrics). */
  monitor?: SessionMonitor;
  /** Delay before reconnecting, doubled after each failed attempt up to the cap. */
  reconnect?: { initialMs: number; maxMs: number };
  /** Attempts at a message that keeps failing for its content before it is dead-lettered. */
  maxContentAttempts?: number;
  /** Pause before the second attempt at such a message; doubled before each further one. */
  contentRetryDelayMs?: number;
  /** How long close() waits for a clean MQTT DISCONNECT before it drops the connection. */
  closeTimeoutMs?: number;
}

export interface Subscriber {
  readonly connected: boolean;
  close(): Promise<void>;
}

export const DEFAULT_RECONNECT = { initialMs: 500, maxMs: 10_000 };
export { MAX_CONTENT_ATTEMPTS } from '../ingest/durable-store.js';
const CLOSE_TIMEOUT_MS = 2000;
/** Messages stored per transaction at most; also how far mqtt.js reads ahead of a commit. */
const MAX_GROUP = 200;
/** About 500 readings: a group's transaction and fan-out stay within tens of milliseconds. */
const MAX_GROUP_BYTES = 64 * 1024;

/**
 * The server's MQTT session: persistent (clean: false) so that the broker queues QoS 1
 * messages while the server restarts. Each message is acknowledged only after ingest has
 * committed it (messages arriving together share one commit, see group-commit.ts).
 *
 * Failures are kept apart (bulkheads, see ingest/failure-kind.ts): while storage fails, messages
 * are held unacknowledged and retried; a message that fails for its own content is retried a
 * few times, counted in the database so that the count survives restarts, then dead-lettered
 * with its raw bytes and acknowledged, so it never holds up the session again.
 *
 * The session never gives up on the broker: any refusal (CONNACK return code) or lost
 * connection is retried with a growing, capped delay, each refusal logged with its code and
 * reported to the watchdog.
 */
export function startSubscriber(options: SubscriberOptions): Subscriber {
  const { log, ingest } = options;
  const monitor = options.monitor ?? noSessionMonitor;
  const backoff = options.reconnect ?? DEFAULT_RECONNECT;
  let closing = false;
  const durable = createDurableStore({
    ingest,
    log,
    monitor,
    onOutcome: options.onOutcome,
    ...(options.onOutcomes ? { onOutcomes: options.onOutcomes } : {}),
    ...(options.maxContentAttempts !== undefined ? { maxContentAttempts: options.maxContentAttempts } : {}),
    ...(options.contentRetryDelayMs !== undefined
      ? { contentRetryDelayMs: options.contentRetryDelayMs }
      : {}),
  });

  const clientOptions: IClientOptions = {
    clientId: options.clientId,
    username: options.username,
    password: options.password,
    clean: false,
    reconnectPeriod: backoff.initialMs,
    // mqtt.js stops for good after a refused CONNACK unless told otherwise; a refusal may pass
    // (the id was taken by a client that has since left, the broker was restarting).
    reconnectOnConnackError: true,
    connectTimeout: 10_000,
    ...(options.ca ? { ca: options.ca } : {}),
  };
  const client: MqttClient = mqtt.connect(options.url, clientOptions);

  // mqtt.js reads options.reconnectPeriod each time it arms its reconnect timer (after a close or
  // a refusal), so setting it at each attempt is the backoff: initial, 2x, 4x ... up to the cap.
  let failedAttempts = 0;
  const retryDelay = () => client.options.reconnectPeriod ?? backoff.initialMs;

  client.on('connect', (connack) => {
    failedAttempts = 0;
    client.options.reconnectPeriod = backoff.initialMs;
    monitor.connected();
    log.info(
      { sessionPresent: connack.sessionPresent, clientId: options.clientId },
      'connected to MQTT broker',
    );
    client.subscribe(options.subscriptions, { qos: 1 }, (err, granted) => {
      if (err) return log.error({ err: err.message, clientId: options.clientId }, 'subscribe failed');
      const refused = granted?.filter((g) => g.qos === 128).map((g) => g.topic) ?? [];
      monitor.subscriptionsRefused(refused);
      if (refused.length > 0) log.error({ topics: refused }, 'subscriptions refused by broker');
    });
  });
  client.on('reconnect', () => {
    failedAttempts++;
    client.options.reconnectPeriod = Math.min(backoff.maxMs, backoff.initialMs * 2 ** failedAttempts);
    log.info({ clientId: options.clientId, attempt: failedAttempts }, 'reconnecting to MQTT broker');
  });
  client.on('close', () => {
    if (!closing) monitor.disconnected();
  });
  client.on('offline', () => log.warn({ clientId: options.clientId }, 'MQTT broker unreachable'));
  client.on('error', (err: Error & { code?: unknown }) => {
    if (typeof err.code === 'number' && err.message.startsWith('Connection refused')) {
      const reason = err.message.replace(/^Connection refused:\s*/, '') || 'refused';
      monitor.refused(err.code, reason, retryDelay());
      log.error(
        { clientId: options.clientId, returnCode: err.code, reason, retryInMs: retryDelay() },
        'MQTT session refused by broker; will retry',
      );
      return;
    }
    log.error({ err: err.message, clientId: options.clientId }, 'MQTT client error');
  });

  groupCommit(client, {
    maxGroup: MAX_GROUP,
    maxGroupBytes: MAX_GROUP_BYTES,
    onReceived: () => monitor.received(),
    store: (messages) => durable.store(messages),
  });

  return {
    get connected() {
      return client.connected;
    },
    /** Bounded: a clean DISCONNECT if the broker answers in time, else the socket is dropped. */
    async close() {
      closing = true;
      durable.close();
      monitor.closed();
      const ended = client.endAsync().then(
        () => true,
        () => true,
      );
      const timeoutMs = options.closeTimeoutMs ?? CLOSE_TIMEOUT_MS;
      if (await Promise.race([ended, sleep(timeoutMs, false, { ref: false })])) return;
      log.warn({ clientId: options.clientId, timeoutMs }, 'MQTT session did not close in time; dropping it');
      client.stream?.destroy();
      await Promise.race([ended, sleep(500, false, { ref: false })]);
    },
  };
}
