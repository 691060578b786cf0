import { isTopicSegment } from './ids.js';

/**
 * Topic scheme, version 1:
 *
 *   wardline/v1/{site}/{gateway}/obs          observation batches, QoS 1        gateway -> server
 *   wardline/v1/{site}/{gateway}/urgent       falls and help calls, QoS 1       gateway -> server
 *   wardline/v1/{site}/{gateway}/devices      device status batches, QoS 1      gateway -> server
 *   wardline/v1/{site}/{gateway}/status       gateway status, retained, last will gateway -> server
 *   wardline/v1/{site}/{gateway}/cmd/{name}   commands, QoS 1                   server -> gateway
 *
 * Topics carry only opaque site and gateway codes; the server maps devices to people.
 */
export const TOPIC_ROOT = 'wardline';
export const TOPIC_VERSION = 'v1';

export const Channel = {
  observations: 'obs',
  /**
   * Observation batches of urgent kinds only (isUrgentKind: falls, help calls). The server reads
   * them on a session of their own, so they never queue behind a backlog of routine readings
   * (a reconnect storm, a server catching up after a restart).
   */
  urgent: 'urgent',
  devices: 'devices',
  status: 'status',
} as const;
export type Channel = (typeof Channel)[keyof typeof Channel];

const channels = new Set<string>(Object.values(Channel));

export interface GatewayAddress {
  site: string;
  gateway: string;
}

export function gatewayPrefix({ site, gateway }: GatewayAddress): string {
  if (!isTopicSegment(site) || !isTopicSegment(gateway)) {
    throw new Error(`invalid site or gateway code: ${site}/${gateway}`);
  }
  return `${TOPIC_ROOT}/${TOPIC_VERSION}/${site}/${gateway}`;
}

export function gatewayTopic(address: GatewayAddress, channel: Channel): string {
  return `${gatewayPrefix(address)}/${channel}`;
}

export function commandTopic(address: GatewayAddress, name: string): string {
  return `${gatewayPrefix(address)}/cmd/${name}`;
}

const everyGateway = (c: Channel) => `${TOPIC_ROOT}/${TOPIC_VERSION}/+/+/${c}`;

/** What the server's main session subscribes to: every gateway's routine uplink channels. */
export const SERVER_SUBSCRIPTIONS = [Channel.observations, Channel.devices, Channel.status].map(everyGateway);

/** What the server's urgent session subscribes to: every gateway's falls and help calls. */
export const SERVER_URGENT_SUBSCRIPTIONS = [everyGateway(Channel.urgent)];

export interface ParsedTopic extends GatewayAddress {
  channel: Channel;
}

/** Parses an uplink topic; null for anything outside the scheme. */
export function parseUplinkTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 5) return null;
  const [root, version, site, gateway, channel] = parts as [string, string, string, string, string];
  if (root !== TOPIC_ROOT || version !== TOPIC_VERSION) return null;
  if (!isTopicSegment(site) || !isTopicSegment(gateway) || !channels.has(channel)) return null;
  return { site, gateway, channel: channel as Channel };
}
