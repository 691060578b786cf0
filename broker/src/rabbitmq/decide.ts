/**
 * What RabbitMQ asks the HTTP auth backend, answered with the aedes broker's rules (policy.ts).
 * Pure decisions: service.ts parses the questions, logs and counts the refusals.
 *
 *   gateway  exchange amq.topic: read, write
 *            queues mqtt-subscription-{own client id}qos0|qos1: anything
 *            topics (routing keys read as MQTT topics): write its own uplink topics, read its own commands
 *   server   exchange amq.topic: read, write; exchanges and queues named wardline.*: anything
 *            (its quorum queues and dead-letter exchange); its own MQTT subscription queues
 *            topics: write command topics, read anything under wardline/v1/
 */
import {
  authorizeClientId,
  authorizePublish,
  authorizeSubscribe,
  type Identity,
  type Limits,
} from '../policy.js';
import { RabbitRefusalCode } from './codes.js';
import { topicOfRoutingKey } from './routing-key.js';

export type Permission = 'configure' | 'write' | 'read';
export const PERMISSIONS: readonly Permission[] = ['configure', 'write', 'read'];

export type RabbitDecision = { allowed: true } | { allowed: false; code: RabbitRefusalCode };

export interface ResourceQuestion {
  /** `exchange` or `queue` (RabbitMQ also knows `topic`, asked on the topic path). */
  kind: string;
  name: string;
  permission: Permission;
}

export interface TopicQuestion {
  /** The exchange the message is published to or the queue is bound to. */
  exchange: string;
  permission: Permission;
  routingKey: string;
  /** `variable_map.client_id`: set for MQTT connections only. */
  clientId: string | undefined;
}

/** Queues and exchanges the server declares for itself: `wardline.` and at least one more character. */
export const SERVER_RESOURCE_PREFIX = 'wardline.';

function isServerName(name: string): boolean {
  return name.startsWith(SERVER_RESOURCE_PREFIX) && name.length > SERVER_RESOURCE_PREFIX.length;
}

/** The queue RabbitMQ's MQTT plugin keeps for a client's subscriptions of one QoS. */
const MQTT_SUBSCRIPTION_QUEUE = /^mqtt-subscription-(.+)qos[01]$/s;

/** Message size is RabbitMQ's to bound (max_message_size); the rules here judge topics only. */
const TOPIC_ONLY: Limits = { maxPayloadBytes: Number.POSITIVE_INFINITY };

const ALLOWED = { allowed: true } as const;

function refused(code: RabbitRefusalCode): RabbitDecision {
  return { allowed: false, code };
}

/**
 * At login. MQTT connections carry their client id, checked with the aedes broker's rule, so a
 * gateway cannot take over (and so disconnect) another gateway's session. A login without one is
 * AMQP: the server's way in, never a gateway's.
 */
export function decideLogin(identity: Identity, clientId: string | undefined): RabbitDecision {
  if (clientId === undefined)
    return identity.role === 'server' ? ALLOWED : refused(RabbitRefusalCode.mqttOnly);
  const decision = authorizeClientId(identity, clientId);
  return decision.allowed ? ALLOWED : refused(decision.code);
}

export function decideVhost(vhost: string, allowedVhost: string): RabbitDecision {
  return vhost === allowedVhost ? ALLOWED : refused(RabbitRefusalCode.vhostNotAllowed);
}

export function decideResource(
  identity: Identity,
  question: ResourceQuestion,
  exchange: string,
): RabbitDecision {
  const serverOwn = identity.role === 'server' && isServerName(question.name);
  if (question.kind === 'exchange') {
    // Nobody configures (declares or deletes) the MQTT exchange: it is RabbitMQ's own.
    const ok = (question.name === exchange && question.permission !== 'configure') || serverOwn;
    return ok ? ALLOWED : refused(RabbitRefusalCode.resourceNotAllowed);
  }
  if (question.kind === 'queue') {
    const subscription = MQTT_SUBSCRIPTION_QUEUE.exec(question.name);
    if (subscription !== null && authorizeClientId(identity, subscription[1]!).allowed) return ALLOWED;
    if (serverOwn) return ALLOWED;
  }
  return refused(RabbitRefusalCode.resourceNotAllowed);
}

/** Publishing (write) and binding or subscribing (read) by routing key, under the MQTT rules. */
export function decideTopic(identity: Identity, question: TopicQuestion, exchange: string): RabbitDecision {
  if (question.exchange !== exchange) return refused(RabbitRefusalCode.resourceNotAllowed);
  if (question.clientId !== undefined && !authorizeClientId(identity, question.clientId).allowed) {
    return refused(RabbitRefusalCode.clientIdNotOwned);
  }
  // 3.10 leaves a `.` in an MQTT topic as it is, so no MQTT client makes a key with a `/`; an AMQP
  // publisher could, and `a/b.c` mapped back would pass for `a/b/c` while routing as another key.
  if (question.routingKey.includes('/')) {
    return refused(
      question.permission === 'read'
        ? RabbitRefusalCode.subscribeNotAllowed
        : RabbitRefusalCode.publishNotAllowed,
    );
  }
  const topic = topicOfRoutingKey(question.routingKey);
  const decision =
    question.permission === 'write'
      ? authorizePublish(identity, topic, 0, TOPIC_ONLY)
      : question.permission === 'read'
        ? authorizeSubscribe(identity, topic)
        : refused(RabbitRefusalCode.resourceNotAllowed);
  return decision.allowed ? ALLOWED : refused(decision.code);
}
