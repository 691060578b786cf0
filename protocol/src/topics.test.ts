import { describe, expect, it } from 'vitest';
import {
  Channel,
  SERVER_SUBSCRIPTIONS,
  SERVER_URGENT_SUBSCRIPTIONS,
  commandTopic,
  gatewayTopic,
  parseUplinkTopic,
} from './topics.js';

describe('topic scheme', () => {
  const address = { site: 'larkspur', gateway: 'gw-01' };

  it('builds versioned uplink and command topics rooted at site and gateway', () => {
    expect(gatewayTopic(address, Channel.observations)).toBe('wardline/v1/larkspur/gw-01/obs');
    expect(gatewayTopic(address, Channel.status)).toBe('wardline/v1/larkspur/gw-01/status');
    expect(commandTopic(address, 'time')).toBe('wardline/v1/larkspur/gw-01/cmd/time');
  });

  it('parses only topics inside the scheme', () => {
    expect(parseUplinkTopic('wardline/v1/larkspur/gw-01/devices')).toEqual({
      ...address,
      channel: 'devices',
    });
    for (const topic of [
      'wardline/v2/larkspur/gw-01/obs',
      'wardline/v1/larkspur/gw-01/obs/x',
      'wardline/v1/Larkspur/gw-01/obs',
      'wardline/v1/larkspur/gw-01/cmd',
      'wardline/v1/+/gw-01/obs',
      'other/v1/larkspur/gw-01/obs',
    ]) {
      expect(parseUplinkTopic(topic), topic).toBeNull();
    }
  });

  it('refuses codes that could carry wildcards, separators or names', () => {
    for (const site of ['', '+', '#', 'a/b', 'Mrs Smith', 'x'.repeat(64)]) {
      expect(() => gatewayTopic({ site, gateway: 'gw-01' }, Channel.status), site).toThrow();
    }
  });

  it('subscribes the server to every uplink channel of every gateway, urgent ones on their own session', () => {
    expect(SERVER_SUBSCRIPTIONS).toEqual([
      'wardline/v1/+/+/obs',
      'wardline/v1/+/+/devices',
      'wardline/v1/+/+/status',
    ]);
    expect(SERVER_URGENT_SUBSCRIPTIONS).toEqual(['wardline/v1/+/+/urgent']);
    expect(parseUplinkTopic('wardline/v1/larkspur/gw-01/urgent')).toEqual({
      site: 'larkspur',
      gateway: 'gw-01',
      channel: Channel.urgent,
    });
  });
});
