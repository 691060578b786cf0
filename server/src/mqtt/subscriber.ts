import type { FastifyBaseLogger } from 'fastify';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeFailure, storageFailureCode } from '../ingest/failure-kind.js';
import type { Ingest, IngestOutcome } from '../ingest/ingest.js';
import type { SessionMonitor } from '../ingest/monitor.js';
import { groupCommit, type HeldMessage } from './group-commit.js';

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
export const MAX_CONTENT_ATTEMPTS = 3;
const CONTENT_RETRY_DELAY_MS = 100;
const CLOSE_TIMEOUT_MS = 2000;
const MAX_STORAGE_RETRY_DELAY_MS = 5000;
/** Messages stored per transaction at most; also how far mqtt.js reads ahead of a commit. */
const MAX_GROUP = 200;
/** About 500 readings: a group's transaction and fan-out stay within tens of milliseconds. */
const MAX_GROUP_BYTES = 64 * 1024;

const noMonitor: SessionMonitor = {
  received() {},
  completed() {},
  connected() {},
  disconnected() {},
  refused() {},
  subscriptionsRefused() {},
  storageFailed() {},
  contentFailed() {},
  closed() {},
};

class Closing extends Error {
  constructor() {
    super('subscriber closing');
  }
}

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
  const monitor = options.monitor ?? noMonitor;
  const backoff = options.reconnect ?? DEFAULT_RECONNECT;
  const maxContentAttempts = options.maxContentAttempts ?? MAX_CONTENT_ATTEMPTS;
  const contentRetryDelayMs = options.contentRetryDelayMs ?? CONTENT_RETRY_DELAY_MS;
  let closing = false;
  const stop = new AbortController();

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

  /** Waits, unless the session is closing (then throws, so nothing more is stored or acknowledged). */
  async function pause(ms: number): Promise<void> {
    try {
      await sleep(ms, undefined, { signal: stop.signal });
    } catch {
      throw new Closing();
    }
  }

  /**
   * Counts a content failure and either dead-letters the message (enough attempts) or lets the
   * caller try again. Returns the outcome once the message is set aside, else null.
   */
  async function onContentFailure(message: HeldMessage, err: unknown): Promise<IngestOutcome | null> {
    const error = describeFailure(err);
    const attempts = await ingest.recordFailure(message.topic, message.payload, error);
    monitor.contentFailed();
    log.error(
      { topic: message.topic, attempts, maxAttempts: maxContentAttempts, err: error },
      'handling message failed for its content',
    );
    if (attempts < maxContentAttempts) return null;
    const outcome = await ingest.quarantine(message.topic, message.payload, attempts, error);
    log.error({ topic: message.topic, attempts }, 'message set aside as PROCESSING_FAILED; acknowledging it');
    return outcome;
  }

  /** Stores one message: holds it while storage fails, sets it aside if its content keeps failing. */
  async function storeOne(message: HeldMessage): Promise<IngestOutcome> {
    let storageAttempts = 0;
    let contentAttempts = 0;
    for (;;) {
      if (closing) throw new Closing();
      let failure: unknown;
      try {
        // A count left by earlier failures (also before a restart) goes when the message goes through.
        return await ingest.handle(message.topic, message.payload, { clearFailures: true });
      } catch (err) {
        failure = err;
      }
      try {
        if (storageFailureCode(failure) === null) {
          const outcome = await onContentFailure(message, failure);
          if (outcome) return outcome;
          await pause(contentRetryDelayMs * 2 ** contentAttempts++);
          continue;
        }
      } catch (err) {
        if (err instanceof Closing) throw err;
        // Counting or setting aside failed too: that is storage failing; hold and retry below.
        failure = err;
      }
      const code = storageFailureCode(failure) ?? 'UNKNOWN';
      monitor.storageFailed(code);
      const delay = Math.min(MAX_STORAGE_RETRY_DELAY_MS, 100 * 2 ** storageAttempts++);
      log.error(
        { err: describeFailure(failure), code, topic: message.topic, attempt: storageAttempts },
        'storing message failed for storage reasons; holding it and retrying',
      );
      await pause(delay);
    }
  }

  /**
   * Stores a group in one transaction; if that fails, one message at a time, so that one bad
   * message fails alone and a group never waits for room that only a smaller step would find.
   */
  async function storeGroup(messages: readonly HeldMessage[]): Promise<IngestOutcome[]> {
    if (closing) throw new Closing();
    try {
      return await ingest.handleGroup(messages);
    } catch (err) {
      log.warn({ err: describeFailure(err), messages: messages.length }, 'group not stored; one by one');
    }
    const outcomes: IngestOutcome[] = [];
    for (const message of messages) outcomes.push(await storeOne(message));
    return outcomes;
  }

  groupCommit(client, {
    maxGroup: MAX_GROUP,
    maxGroupBytes: MAX_GROUP_BYTES,
    onReceived: () => monitor.received(),
    async store(messages) {
      const outcomes = await storeGroup(messages);
      monitor.completed(messages.length);
      try {
        options.onOutcomes?.(outcomes);
      } catch (err) {
        log.error({ err: describeFailure(err) }, 'real-time fan-out failed');
      }
      const publishFailed = (err: unknown) =>
        log.error({ err: describeFailure(err) }, 'alert publishing failed');
      for (const outcome of outcomes) {
        try {
          // Not awaited: the group is durable, its acknowledgements need not wait for pushes.
          Promise.resolve(options.onOutcome(outcome)).catch(publishFailed);
        } catch (err) {
          publishFailed(err);
        }
      }
    },
  });

  return {
    get connected() {
      return client.connected;
    },
    /** Bounded: a clean DISCONNECT if the broker answers in time, else the socket is dropped. */
    async close() {
      closing = true;
      stop.abort();
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
