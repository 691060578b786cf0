/**
 * Who may connect, publish, subscribe and receive. Pure decisions: no logging, no broker state;
 * broker.ts turns them into aedes callbacks and log lines.
 *
 *   identity | client id                    | publish                                  | subscribe
 *   gateway  | {username}, {username}:{any} | wardline/v1/{own site}/{own gw}/{obs|urgent|devices|status}
 *            |                              |                                          | wardline/v1/{own site}/{own gw}/cmd[/...]
 *   server   | wardline-server*             | wardline/v1/{site}/{gw}/cmd/{name}[/...] | any filter under wardline/v1/
 */
import {
  Channel,
  TOPIC_ROOT,
  TOPIC_VERSION,
  gatewayPrefix,
  gatewayTopic,
  isTopicSegment,
} from '@wardline/protocol';
import { ConnackCode, RefusalCode } from './errors.js';
import { DEFAULT_SCRYPT_COST } from './password.js';
import type { UserEntry } from './users.js';

export interface GatewayIdentity {
  role: 'gateway';
  username: string;
  site: string;
  gateway: string;
}

export interface ServerIdentity {
  role: 'server';
  username: string;
}

export type Identity = GatewayIdentity | ServerIdentity;

export interface Refusal {
  allowed: false;
  code: RefusalCode;
}
export type Decision = { allowed: true } | Refusal;
export type ConnectRefusal = Refusal & { returnCode: ConnackCode };
export type ConnectDecision = { allowed: true } | ConnectRefusal;
export type AuthenticateResult = { allowed: true; identity: Identity } | ConnectRefusal;

export interface Limits {
  maxPayloadBytes: number;
}

export interface ConnectRequest {
  /** As sent by the client: may be empty. */
  clientId: string;
  clean: boolean;
  will?: { topic: string; payload: Uint8Array | string } | null | undefined;
}

const ALLOWED = { allowed: true } as const;
const SCHEME_PREFIX = `${TOPIC_ROOT}/${TOPIC_VERSION}/`;
const COMMAND_LEVEL = 'cmd';
const uplinkChannels = Object.values(Channel);

/**
 * A well-formed hash nobody's password matches: checking an unknown user costs as much as checking
 * a known one, so response time does not reveal which user names exist.
 */
export const UNKNOWN_USER_HASH = [
  'scrypt',
  DEFAULT_SCRYPT_COST.N,
  DEFAULT_SCRYPT_COST.r,
  DEFAULT_SCRYPT_COST.p,
  Buffer.alloc(16).toString('base64'),
  Buffer.alloc(32).toString('base64'),
].join('$');

/**
 * Client ids starting with this belong to the server role. The server's sessions (its routine and
 * urgent subscriptions) are persistent, so whoever may use their ids is handed their queued messages.
 */
export const SERVER_CLIENT_ID_PREFIX = 'wardline-server';
/** Separates a gateway's user name from the suffix of a further client id: `{username}:{suffix}`. */
export const CLIENT_ID_SUFFIX_SEPARATOR = ':';

export function identityOf(user: UserEntry): Identity {
  return user.role === 'gateway'
    ? { role: 'gateway', username: user.username, site: user.site, gateway: user.gateway }
    : { role: 'server', username: user.username };
}

/**
 * Which client ids an identity may use, decided from the identity alone, so the rule holds from the
 * first CONNECT after a broker restart, before any session has been seen: a gateway uses its user
 * name or `{username}:{suffix}` (user names cannot contain ':'), the server ids starting with
 * `wardline-server`, which nobody else may use. Nobody can therefore resume, or take over
 * [MQTT-3.1.4-2], a session of another identity. A refused id gets CONNACK 2 [MQTT-3.1.3-9].
 */
export function authorizeClientId(identity: Identity, clientId: string): ConnectDecision {
  const reserved = clientId.startsWith(SERVER_CLIENT_ID_PREFIX);
  if (identity.role === 'server') {
    return reserved ? ALLOWED : connectRefusal(RefusalCode.clientIdNotOwned, ConnackCode.identifierRejected);
  }
  if (reserved) return connectRefusal(RefusalCode.clientIdReserved, ConnackCode.identifierRejected);
  const suffixed = `${identity.username}${CLIENT_ID_SUFFIX_SEPARATOR}`;
  const own =
    clientId === identity.username || (clientId.startsWith(suffixed) && clientId.length > suffixed.length);
  return own ? ALLOWED : connectRefusal(RefusalCode.clientIdNotOwned, ConnackCode.identifierRejected);
}

/** Checks made once the identity is known, before the session is set up. */
export function authorizeConnect(
  identity: Identity,
  request: ConnectRequest,
  limits: Limits,
): ConnectDecision {
  // [MQTT-3.1.3-8] a zero-byte client id cannot name a persistent session.
  if (request.clientId.length === 0 && !request.clean) {
    return connectRefusal(RefusalCode.clientIdRejected, ConnackCode.identifierRejected);
  }
  const clientId = authorizeClientId(identity, request.clientId);
  if (!clientId.allowed) return clientId;
  if (request.will) {
    const will = authorizeWill(identity, request.will.topic, byteLength(request.will.payload), limits);
    // Table 3.1 has no code for a bad will; "not authorized" is the nearest.
    if (!will.allowed) return connectRefusal(will.code, ConnackCode.notAuthorized);
  }
  return ALLOWED;
}

/** A will is published on the client's behalf, so it follows the publish rules. */
export function authorizeWill(
  identity: Identity,
  topic: string,
  payloadBytes: number,
  limits: Limits,
): Decision {
  const decision = authorizePublish(identity, topic, payloadBytes, limits);
  if (!decision.allowed && decision.code === RefusalCode.publishNotAllowed) {
    return refusal(RefusalCode.willNotAllowed);
  }
  return decision;
}

export function authorizePublish(
  identity: Identity,
  topic: string,
  payloadBytes: number,
  limits: Limits,
): Decision {
  const topicAllowed =
    identity.role === 'gateway' ? isOwnUplinkTopic(identity, topic) : isCommandTopic(topic);
  if (!topicAllowed) return refusal(RefusalCode.publishNotAllowed);
  if (payloadBytes > limits.maxPayloadBytes) return refusal(RefusalCode.payloadTooLarge);
  return ALLOWED;
}

/** Which publish rate bucket a gateway's PUBLISH draws from: falls and help calls have their own. */
export type PublishLane = 'routine' | 'urgent';

export function publishLane(identity: GatewayIdentity, topic: string): PublishLane {
  return topic === gatewayTopic(identity, Channel.urgent) ? 'urgent' : 'routine';
}

export function authorizeSubscribe(identity: Identity, filter: string): Decision {
  if (!isValidFilter(filter)) return refusal(RefusalCode.subscribeNotAllowed);
  if (identity.role === 'server') {
    return filter.startsWith(SCHEME_PREFIX) ? ALLOWED : refusal(RefusalCode.subscribeNotAllowed);
  }
  const commands = commandPrefix(identity);
  return filter === commands || filter.startsWith(`${commands}/`)
    ? ALLOWED
    : refusal(RefusalCode.subscribeNotAllowed);
}

/**
 * Last line of defence when a message is about to be written to a client (live, retained, or queued
 * in a persistent session): a gateway only ever receives its own commands.
 */
export function mayReceive(identity: Identity, topic: string): boolean {
  if (identity.role === 'server') return topic.startsWith(SCHEME_PREFIX);
  return topic.startsWith(`${commandPrefix(identity)}/`);
}

export function describeIdentity(identity: Identity): string {
  return identity.role === 'gateway'
    ? `gateway ${identity.site}/${identity.gateway} (user ${identity.username})`
    : `server (user ${identity.username})`;
}

function isOwnUplinkTopic(identity: GatewayIdentity, topic: string): boolean {
  return uplinkChannels.some((channel) => gatewayTopic(identity, channel) === topic);
}

/** wardline/v1/{site}/{gateway}/cmd/{name}[/more]: any gateway, concrete levels only. */
function isCommandTopic(topic: string): boolean {
  if (!isTopicName(topic)) return false;
  const levels = topic.split('/');
  const [root, version, site, gateway, command, ...name] = levels;
  return (
    root === TOPIC_ROOT &&
    version === TOPIC_VERSION &&
    site !== undefined &&
    isTopicSegment(site) &&
    gateway !== undefined &&
    isTopicSegment(gateway) &&
    command === COMMAND_LEVEL &&
    name.length > 0 &&
    name.every((level) => level.length > 0)
  );
}

function commandPrefix(identity: GatewayIdentity): string {
  return `${gatewayPrefix(identity)}/${COMMAND_LEVEL}`;
}

/** [MQTT-3.3.2-2] no wildcards in a topic name; [MQTT-4.7.3-1] non-empty; [MQTT-4.7.3-2] no NUL. */
function isTopicName(topic: string): boolean {
  return topic.length > 0 && !['+', '#', '\u0000'].some((character) => topic.includes(character));
}

/** [MQTT-4.7.1-2] '#' alone and last; [MQTT-4.7.1-3] '+' alone in its level. */
function isValidFilter(filter: string): boolean {
  if (filter.length === 0 || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  return levels.every((level, index) => {
    if (level === '+') return true;
    if (level === '#') return index === levels.length - 1;
    return !level.includes('+') && !level.includes('#');
  });
}

function byteLength(payload: Uint8Array | string): number {
  return typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
}

function refusal(code: RefusalCode): Refusal {
  return { allowed: false, code };
}

function connectRefusal(code: RefusalCode, returnCode: ConnackCode): ConnectRefusal {
  return { allowed: false, code, returnCode };
}
