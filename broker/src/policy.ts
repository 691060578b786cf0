/**
 * Who may connect, publish, subscribe and receive. Pure decisions: no logging, no broker state;
 * broker.ts turns them into aedes callbacks and log lines.
 *
 *   identity | publish                                   | subscribe
 *   gateway  | wardline/v1/{own site}/{own gw}/{obs|devices|status}
 *            |                                           | wardline/v1/{own site}/{own gw}/cmd[/...]
 *   server   | wardline/v1/{site}/{gw}/cmd/{name}[/...]  | any filter under wardline/v1/
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
import { DEFAULT_SCRYPT_COST, verifyPassword } from './password.js';
import type { UserRegistry } from './users.js';

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
const UNKNOWN_USER_HASH = [
  'scrypt',
  DEFAULT_SCRYPT_COST.N,
  DEFAULT_SCRYPT_COST.r,
  DEFAULT_SCRYPT_COST.p,
  Buffer.alloc(16).toString('base64'),
  Buffer.alloc(32).toString('base64'),
].join('$');

export async function authenticate(
  users: UserRegistry,
  username: string | undefined,
  password: Uint8Array | undefined,
): Promise<AuthenticateResult> {
  // Anonymous clients are not authorized to connect: MQTT 3.1.1 section 3.2.2.3, Table 3.1, code 5.
  if (username === undefined) return connectRefusal(RefusalCode.noCredentials, ConnackCode.notAuthorized);
  const user = users.find(username);
  const matches = await verifyPassword(password ?? Buffer.alloc(0), user?.passwordHash ?? UNKNOWN_USER_HASH);
  // Same return code for both, so a client cannot probe for user names (section 3.2.2.3, code 4).
  if (user === undefined) return connectRefusal(RefusalCode.unknownUser, ConnackCode.badUsernameOrPassword);
  if (!matches) return connectRefusal(RefusalCode.badPassword, ConnackCode.badUsernameOrPassword);
  const identity: Identity =
    user.role === 'gateway'
      ? { role: 'gateway', username: user.username, site: user.site, gateway: user.gateway }
      : { role: 'server', username: user.username };
  return { allowed: true, identity };
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
