import { describe, expect, it } from 'vitest';
import type { Identity } from '../policy.js';
import { decideLogin, decideResource, decideTopic, type TopicQuestion } from './decide.js';
import { topicOfRoutingKey } from './routing-key.js';

const g1: Identity = { role: 'gateway', username: 'a.g1', site: 'site-a', gateway: 'gw-1' };
const server: Identity = { role: 'server', username: 'wardline-server' };
const EXCHANGE = 'amq.topic';
const topic = (identity: Identity, permission: 'read' | 'write', routingKey: string, clientId?: string) =>
  decideTopic(
    identity,
    { exchange: EXCHANGE, permission, routingKey, clientId } satisfies TopicQuestion,
    EXCHANGE,
  ).allowed;

describe('RabbitMQ questions under the aedes rules', () => {
  it('maps routing keys back to MQTT topics, word wildcards included', () => {
    expect(topicOfRoutingKey('wardline.v1.*.*.obs')).toBe('wardline/v1/+/+/obs');
    expect(topicOfRoutingKey('wardline.v1.site-a.gw-1.cmd.#')).toBe('wardline/v1/site-a/gw-1/cmd/#');
    expect(topicOfRoutingKey('a.b*.c')).toBe('a/b*/c');
  });

  it('lets a gateway publish only its own uplink topics and read only its own commands', () => {
    expect(topic(g1, 'write', 'wardline.v1.site-a.gw-1.obs', 'a.g1')).toBe(true);
    expect(topic(g1, 'write', 'wardline.v1.site-a.gw-1.urgent', 'a.g1:x')).toBe(true);
    expect(topic(g1, 'write', 'wardline.v1.site-a.gw-2.obs', 'a.g1')).toBe(false);
    expect(topic(g1, 'write', 'wardline.v1.site-a.gw-1.cmd.x', 'a.g1')).toBe(false);
    expect(topic(g1, 'write', 'wardline.v1.*.gw-1.obs', 'a.g1')).toBe(false);
    // Its own topic, but asked with another gateway's client id.
    expect(topic(g1, 'write', 'wardline.v1.site-a.gw-1.obs', 'a.g2')).toBe(false);
    expect(topic(g1, 'read', 'wardline.v1.site-a.gw-1.cmd.#', 'a.g1')).toBe(true);
    expect(topic(g1, 'read', 'wardline.v1.site-a.*.cmd.#', 'a.g1')).toBe(false);
    expect(topic(g1, 'read', 'wardline.v1.#', 'a.g1')).toBe(false);
  });

  it('refuses a routing key with a `/`, which would pass for another topic than the one it routes as', () => {
    expect(topic(g1, 'write', 'wardline.v1.site-a/gw-1.obs', 'a.g1')).toBe(false);
    expect(topic(server, 'read', 'wardline.v1.#/x')).toBe(false);
  });

  it('lets the server bind anything under the scheme and publish commands only', () => {
    expect(topic(server, 'read', 'wardline.v1.*.*.obs')).toBe(true);
    expect(topic(server, 'read', 'wardline.v1.#')).toBe(true);
    expect(topic(server, 'read', '#')).toBe(false);
    expect(topic(server, 'read', 'wardline.#.obs')).toBe(false);
    expect(topic(server, 'write', 'wardline.v1.site-a.gw-1.cmd.identify')).toBe(true);
    expect(topic(server, 'write', 'wardline.v1.site-a.gw-1.obs')).toBe(false);
    expect(
      decideTopic(
        server,
        { exchange: 'other', permission: 'read', routingKey: 'wardline.v1.#', clientId: undefined },
        EXCHANGE,
      ).allowed,
    ).toBe(false);
  });

  it('confines queues and exchanges to their owners', () => {
    const resource = (
      identity: Identity,
      kind: string,
      name: string,
      permission: 'configure' | 'write' | 'read',
    ) => decideResource(identity, { kind, name, permission }, EXCHANGE).allowed;
    expect(resource(g1, 'queue', 'mqtt-subscription-a.g1qos1', 'configure')).toBe(true);
    expect(resource(g1, 'queue', 'mqtt-subscription-a.g1:backupqos0', 'read')).toBe(true);
    expect(resource(g1, 'queue', 'mqtt-subscription-a.g2qos1', 'read')).toBe(false);
    expect(resource(g1, 'queue', 'wardline.readings', 'read')).toBe(false);
    expect(resource(g1, 'exchange', 'amq.topic', 'write')).toBe(true);
    expect(resource(g1, 'exchange', 'amq.topic', 'configure')).toBe(false);
    expect(resource(g1, 'exchange', 'wardline.dead-letter', 'write')).toBe(false);
    expect(resource(server, 'queue', 'wardline.readings', 'configure')).toBe(true);
    expect(resource(server, 'exchange', 'wardline.dead-letter', 'configure')).toBe(true);
    expect(resource(server, 'queue', 'wardline.', 'configure')).toBe(false);
    expect(resource(server, 'queue', 'other', 'read')).toBe(false);
    expect(resource(server, 'exchange', 'amq.direct', 'write')).toBe(false);
  });

  it('admits gateways over MQTT only, with their own client ids', () => {
    expect(decideLogin(g1, 'a.g1').allowed).toBe(true);
    expect(decideLogin(g1, 'a.g2')).toEqual({ allowed: false, code: 'CLIENT_ID_NOT_OWNED' });
    expect(decideLogin(g1, 'wardline-server-1')).toEqual({ allowed: false, code: 'CLIENT_ID_RESERVED' });
    expect(decideLogin(g1, undefined)).toEqual({ allowed: false, code: 'MQTT_ONLY' });
    expect(decideLogin(server, undefined).allowed).toBe(true);
    expect(decideLogin(server, 'a.g1').allowed).toBe(false);
  });
});
