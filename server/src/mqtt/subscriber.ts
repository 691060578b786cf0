import type { FastifyBaseLogger } from 'fastify';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Ingest, IngestOutcome } from '../ingest/ingest.js';

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

/**
 * The server's MQTT session: persistent (clean: false) so that the broker queues QoS 1
 * messages while the server restarts. Each message is acknowledged only after ingest has
 * committed it; if storage fails, the message is retried here and never acknowledged unstored.
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

  async function ingestWithRetry(topic: string, payload: Buffer): Promise<IngestOutcome | null> {
    for (let attempt = 0; !closing; attempt++) {
      try {
        return ingest.handle(topic, payload);
      } catch (err) {
        // Storage is failing (disk full, locked): hold the message unacknowledged and retry.
        const delay = Math.min(MAX_RETRY_DELAY_MS, 100 * 2 ** attempt);
        log.error({ err: (err as Error).message, topic, attempt }, 'storing message failed; will retry');
        await sleep(delay);
      }
    }
    return null;
  }

  client.handleMessage = (packet, done) => {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    void ingestWithRetry(packet.topic, payload).then((outcome) => {
      if (!outcome) return; // closing: leave it unacknowledged for redelivery
      // Acknowledge on the next turn of the event loop, not in this microtask: mqtt.js reads the
      // next queued message as soon as `done` returns, and a deep backlog would otherwise starve
      // every other socket (the urgent session, HTTP, dashboards) until it is drained.
      setImmediate(done);
      try {
        options.onOutcome(outcome);
      } catch (err) {
        log.error({ err: (err as Error).message }, 'real-time fan-out failed');
      }
    });
  };

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
