import { SERVER_SUBSCRIPTIONS, SERVER_URGENT_SUBSCRIPTIONS } from '@wardline/protocol';
import type { Channel } from 'amqplib';

/**
 * Where gateways' messages wait for the server replicas when RabbitMQ is the broker. Its MQTT
 * plugin publishes every gateway message to `amq.topic` with the topic as routing key; two quorum
 * queues (replicated on every node, a publish confirmed to the gateway once a majority has it)
 * take what the server's two MQTT sessions would have subscribed to, so falls and help calls never
 * wait behind a backlog of routine readings. Replicas are competing consumers: each message goes
 * to one of them, and one that dies hands its unacknowledged messages to the others.
 */
export const TOPIC_EXCHANGE = 'amq.topic';
export const READINGS_QUEUE = 'wardline.readings';
export const URGENT_QUEUE = 'wardline.urgent';
/**
 * A message delivered this many times without being acknowledged (every replica that took it
 * stopped before storing it: a crash, or a kill) leaves the queue for the dead-letter queue, where
 * it is stored as a dead letter instead of taking replicas down one after another for ever.
 */
export const DELIVERY_LIMIT = 20;
export const DEAD_LETTER_EXCHANGE = 'wardline.dead-letter';
export const DEAD_LETTER_QUEUE = 'wardline.dead-letters';

/** MQTT topic filter to AMQP binding key, as RabbitMQ's MQTT plugin maps topics. */
export function bindingKeyOf(filter: string): string {
  return filter.replaceAll('/', '.').replaceAll('+', '*');
}

/**
 * The MQTT topic a routing key came from. RabbitMQ 3.10's MQTT plugin maps `/` to `.` (and leaves
 * a `.` inside a level as it is); Wardline topics never hold a `.`, and Wardline's auth service
 * refuses to let a gateway publish one.
 */
export function topicOfRoutingKey(routingKey: string): string {
  return routingKey.replaceAll('.', '/');
}

const QUORUM = { 'x-queue-type': 'quorum' } as const;

/** Declares the queues and bindings; every replica does so at each connection (idempotent). */
export async function assertTopology(channel: Channel): Promise<void> {
  await channel.assertExchange(DEAD_LETTER_EXCHANGE, 'fanout', { durable: true });
  await channel.assertQueue(DEAD_LETTER_QUEUE, { durable: true, arguments: { ...QUORUM } });
  await channel.bindQueue(DEAD_LETTER_QUEUE, DEAD_LETTER_EXCHANGE, '');
  const ingestQueue = {
    durable: true,
    arguments: {
      ...QUORUM,
      'x-delivery-limit': DELIVERY_LIMIT,
      'x-dead-letter-exchange': DEAD_LETTER_EXCHANGE,
      // Not dropped on the way to the dead-letter queue: held until that queue has it.
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    },
  };
  for (const [queue, filters] of [
    [READINGS_QUEUE, SERVER_SUBSCRIPTIONS],
    [URGENT_QUEUE, SERVER_URGENT_SUBSCRIPTIONS],
  ] as const) {
    await channel.assertQueue(queue, ingestQueue);
    for (const filter of filters) await channel.bindQueue(queue, TOPIC_EXCHANGE, bindingKeyOf(filter));
  }
}
