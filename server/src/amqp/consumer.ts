import type { FastifyBaseLogger } from 'fastify';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { setTimeout as sleep } from 'node:timers/promises';
import { Closing, type DurableStore, type InboundMessage } from '../ingest/durable-store.js';
import { describeFailure } from '../ingest/failure-kind.js';
import { noSessionMonitor, type SessionMonitor } from '../ingest/monitor.js';
import { assertTopology, topicOfRoutingKey } from './topology.js';

export interface AmqpConsumerOptions {
  /** The broker nodes, tried in turn: a lost connection moves on to the next. */
  urls: readonly string[];
  username: string;
  password: string;
  ca?: Buffer;
  queue: string;
  /** Messages handed over and not yet acknowledged, at most: bounds what one replica holds. */
  prefetch: number;
  /** Stores what arrives; resolves once it is durable. */
  store: DurableStore;
  log: FastifyBaseLogger;
  monitor?: SessionMonitor;
  reconnect?: { initialMs: number; maxMs: number };
  /** How long close() waits for a group being stored before it leaves it to another replica. */
  closeTimeoutMs?: number;
}

export interface AmqpConsumer {
  readonly connected: boolean;
  close(): Promise<void>;
}

const DEFAULT_RECONNECT = { initialMs: 500, maxMs: 10_000 };
/** Messages stored per transaction at most, as for the MQTT session. */
const MAX_GROUP = 200;
const MAX_GROUP_BYTES = 64 * 1024;
const CLOSE_TIMEOUT_MS = 2000;
/** AMQP heartbeat: a node that died without closing the socket is noticed within two of these. */
const HEARTBEAT_S = 5;
const CONNECT_TIMEOUT_MS = 10_000;

interface Held extends InboundMessage {
  message: ConsumeMessage;
  channel: Channel;
}

/** The reply code of a connection the broker refused (403 ACCESS_REFUSED), if it was refused. */
function refusalOf(error: unknown): { code: number; reason: string } | null {
  const message = error instanceof Error ? error.message : String(error);
  if (/ACCESS_REFUSED|403/.test(message)) return { code: 403, reason: 'access refused' };
  if (/NOT_ALLOWED|530/.test(message)) return { code: 530, reason: 'virtual host not allowed' };
  return null;
}

/**
 * One replica's consumer of one quorum queue. Messages that arrive together are stored in one
 * transaction, and acknowledged only once it has committed; a replica that stops or dies leaves
 * whatever it had not acknowledged to the others (ingest de-duplicates by observation id, and only
 * the replica whose insert won raises alerts and pushes).
 *
 * amqplib's own recovery reconnects to one URL; a cluster's consumer must move on to another node,
 * and the delivery tags it holds belong to the channel they came on, so the loop is kept here.
 */
export function startAmqpConsumer(options: AmqpConsumerOptions): AmqpConsumer {
  const { log, store, queue } = options;
  const monitor = options.monitor ?? noSessionMonitor;
  const backoff = options.reconnect ?? DEFAULT_RECONNECT;
  const stop = new AbortController();
  let closing = false;
  let connection: ChannelModel | null = null;
  let current: { channel: Channel; consumerTag: string } | null = null;
  let group: Held[] = [];
  let flushing: Promise<void> | null = null;

  const isCurrent = (channel: Channel) => current?.channel === channel;

  async function flushGroups(): Promise<void> {
    while (group.length > 0 && !closing) {
      // Messages of a channel that closed will come again, to this replica or another.
      group = group.filter((h) => isCurrent(h.channel));
      let bytes = 0;
      let take = 0;
      while (take < group.length && take < MAX_GROUP && (take === 0 || bytes < MAX_GROUP_BYTES)) {
        bytes += group[take]!.payload.byteLength;
        take++;
      }
      const messages = group.splice(0, take);
      if (messages.length === 0) return;
      try {
        await store.store(messages);
      } catch (err) {
        if (err instanceof Closing) return;
        // Not stored, so not acknowledged: closing the channel hands them back to the queue.
        log.error(
          { err: describeFailure(err), queue },
          'storing from the queue failed; handing messages back',
        );
        messages[0]!.channel.close().catch(() => undefined);
        return;
      }
      const last = messages[messages.length - 1]!;
      if (!isCurrent(last.channel)) continue; // the queue delivers them again; ingest knows them
      try {
        // Delivered in order on one channel and stored in that order: one ack covers the group.
        last.channel.ack(last.message, true);
      } catch (err) {
        log.warn(
          { err: describeFailure(err), queue },
          'acknowledgement not sent; the queue will deliver again',
        );
      }
    }
  }

  function schedule(): void {
    if (flushing) return;
    flushing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(flushGroups)
      // Never an unhandled rejection (it would end the process, every home's ingest with it); the
      // channel is closed so that what it had not acknowledged comes again.
      .catch((err: unknown) => {
        log.error({ err: describeFailure(err), queue }, 'consuming failed; handing messages back');
        current?.channel.close().catch(() => undefined);
      })
      .finally(() => {
        flushing = null;
        if (group.length > 0 && !closing) schedule();
      });
  }

  async function consumeOn(url: string): Promise<void> {
    const node = new URL(url);
    const conn = await amqp.connect(
      {
        protocol: node.protocol.slice(0, -1),
        hostname: node.hostname,
        port: Number(node.port || (node.protocol === 'amqps:' ? 5671 : 5672)),
        vhost: decodeURIComponent(node.pathname.slice(1)) || '/',
        heartbeat: HEARTBEAT_S,
      },
      {
        timeout: CONNECT_TIMEOUT_MS,
        // amqplib takes credentials from here; an object URL's own would default to guest.
        credentials: amqp.credentials.plain(options.username, options.password),
        clientProperties: { connection_name: `wardline-server ${queue}` },
        ...(options.ca ? { ca: [options.ca] } : {}),
      },
    );
    connection = conn;
    const closed = new Promise<void>((resolve) => conn.once('close', () => resolve()));
    conn.on('error', (err: Error) => log.warn({ err: err.message, queue }, 'AMQP connection error'));
    try {
      const channel = await conn.createChannel();
      channel.on('error', (err: Error) => log.warn({ err: err.message, queue }, 'AMQP channel error'));
      channel.once('close', () => {
        if (isCurrent(channel)) current = null;
        // A channel closed on its own (e.g. a failed ack) takes the connection with it, so the
        // loop below opens both afresh.
        conn.close().catch(() => undefined);
      });
      await assertTopology(channel);
      await channel.prefetch(options.prefetch);
      const { consumerTag } = await channel.consume(
        queue,
        (message) => {
          if (!message) {
            // Cancelled by the broker (the queue was deleted, or its node left): start again.
            conn.close().catch(() => undefined);
            return;
          }
          monitor.received();
          group.push({
            topic: topicOfRoutingKey(message.fields.routingKey),
            payload: message.content,
            message,
            channel,
          });
          schedule();
        },
        { noAck: false },
      );
      current = { channel, consumerTag };
      monitor.connected();
      log.info({ queue, node: new URL(url).host }, 'consuming from the broker');
    } catch (err) {
      conn.close().catch(() => undefined);
      throw err;
    }
    await closed;
    current = null;
    connection = null;
  }

  void (async () => {
    let failures = 0;
    for (let attempt = 0; !closing; attempt++) {
      const url = options.urls[attempt % options.urls.length]!;
      try {
        await consumeOn(url);
        failures = 0;
      } catch (err) {
        if (closing) break;
        failures++;
        const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, failures - 1));
        const refusal = refusalOf(err);
        if (refusal) {
          monitor.refused(refusal.code, refusal.reason, delay);
          log.error(
            { queue, node: new URL(url).host, code: refusal.code, retryInMs: delay },
            'broker refused the server; will retry',
          );
        } else {
          monitor.disconnected();
          log.warn(
            { queue, node: new URL(url).host, err: describeFailure(err), retryInMs: delay },
            'broker unreachable',
          );
        }
        try {
          await sleep(delay, undefined, { signal: stop.signal });
        } catch {
          break;
        }
        continue;
      }
      if (closing) break;
      monitor.disconnected();
      log.warn({ queue, node: new URL(url).host }, 'lost the broker; trying the next node');
    }
  })();

  return {
    get connected() {
      return current !== null;
    },
    async close() {
      if (closing) return;
      const held = current;
      // No more deliveries; the group being stored may finish and be acknowledged.
      if (held) await held.channel.cancel(held.consumerTag).catch(() => undefined);
      closing = true;
      monitor.closed();
      const timeoutMs = options.closeTimeoutMs ?? CLOSE_TIMEOUT_MS;
      if (flushing) await Promise.race([flushing, sleep(timeoutMs, undefined, { ref: false })]);
      stop.abort();
      store.close();
      group = [];
      await connection?.close().catch(() => undefined);
    },
  };
}
