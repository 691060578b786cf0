import { isTopicSegment } from './ids.js';

/**
 * Topic scheme, version 1:
 *
 *   wardline/v1/{site}/{gateway}/obs          observation batches, QoS 1        gateway -> server
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

/** What the server subscribes to: every gateway's uplink channels. */
export const SERVER_SUBSCRIPTIONS = Object.values(Channel).map(
  (c) => `${TOPIC_ROOT}/${TOPIC_VERSION}/+/+/${c}`,
);

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
