import type { FastifyBaseLogger } from 'fastify';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Ingest, IngestOutcome } from '../ingest/ingest.js';
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
  /** Called after a message is durable and acknowledged, to push it to dashboards. */
  onOutcome: (outcome: IngestOutcome) => void;
}

export interface Subscriber {
  readonly connected: boolean;
  close(): Promise<void>;
}

const MAX_RETRY_DELAY_MS = 5000;
/** Messages stored per transaction at most; also how far mqtt.js reads ahead of a commit. */
const MAX_GROUP = 200;
/** About 500 readings: a group's transaction and fan-out stay within tens of milliseconds. */
const MAX_GROUP_BYTES = 64 * 1024;

/**
 * The server's MQTT session: persistent (clean: false) so that the broker queues QoS 1
 * messages while the server restarts. Each message is acknowledged only after ingest has
 * committed it (messages arriving together share one commit, see group-commit.ts); if storage
 * fails, the messages are retried here and never acknowledged unstored.
 */
export function startSubscriber(options: SubscriberOptions): Subscriber {
  const { log, ingest } = options;
  let closing = false;
  const clientOptions: IClientOptions = {
    clientId: options.clientId,
    username: options.username,
    password: options.password,
    clean: false,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    ...(options.ca ? { ca: options.ca } : {}),
  };
  const client: MqttClient = mqtt.connect(options.url, clientOptions);

  client.on('connect', (connack) => {
    log.info(
      { sessionPresent: connack.sessionPresent, clientId: options.clientId },
      'connected to MQTT broker',
    );
    client.subscribe(options.subscriptions, { qos: 1 }, (err, granted) => {
      if (err) return log.error({ err }, 'subscribe failed');
      const refused = granted?.filter((g) => g.qos === 128) ?? [];
      if (refused.length > 0)
        log.error({ topics: refused.map((g) => g.topic) }, 'subscriptions refused by broker');
    });
  });
  client.on('reconnect', () => log.info('reconnecting to MQTT broker'));
  client.on('offline', () => log.warn('MQTT broker unreachable'));
  client.on('error', (err) => log.error({ err: err.message }, 'MQTT client error'));

  /** Stores one message, retrying while storage fails; throws only when the session is closing. */
  async function storeOneWithRetry(message: HeldMessage): Promise<IngestOutcome> {
    for (let attempt = 0; !closing; attempt++) {
      try {
        return ingest.handle(message.topic, message.payload);
      } catch (err) {
        // Storage is failing (disk full, locked) or the time-series spool is full (backpressure):
        // hold the message unacknowledged and retry.
        const delay = Math.min(MAX_RETRY_DELAY_MS, 100 * 2 ** attempt);
        log.error(
          { err: (err as Error).message, topic: message.topic, attempt },
          'storing message failed; will retry',
        );
        await sleep(delay);
      }
    }
    throw new Error('closing');
  }

  /**
   * Stores a group in one transaction; if that fails, one message at a time, each retried until
   * stored, so a group never waits for room that only a smaller step would find.
   */
  async function storeGroup(messages: readonly HeldMessage[]): Promise<IngestOutcome[]> {
    try {
      return ingest.handleGroup(messages);
    } catch (err) {
      log.warn({ err: (err as Error).message, messages: messages.length }, 'group not stored; one by one');
    }
    const outcomes: IngestOutcome[] = [];
    for (const message of messages) outcomes.push(await storeOneWithRetry(message));
    return outcomes;
  }

  groupCommit(client, {
    maxGroup: MAX_GROUP,
    maxGroupBytes: MAX_GROUP_BYTES,
    async store(messages) {
      const outcomes = await storeGroup(messages);
      for (const outcome of outcomes) {
        try {
          options.onOutcome(outcome);
        } catch (err) {
          log.error({ err: (err as Error).message }, 'real-time fan-out failed');
        }
      }
    },
  });

  return {
    get connected() {
      return client.connected;
    },
    async close() {
      closing = true;
      await client.endAsync();
    },
  };
}
