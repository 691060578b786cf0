/**
 * Gateways on RabbitMQ are admitted and confined by Wardline: one real RabbitMQ 3.10 node from
 * Debian's package, configured with the shipped broker/rabbitmq/rabbitmq.conf and enabled_plugins
 * (only the listeners and the auth service's address changed), asks Wardline's HTTP auth service
 * (broker/src/rabbitmq) about every login and right. Users come from a real users file and a kit
 * credentials feed replicated over HTTP, as for the aedes broker. Gateways are mqtt.js clients
 * (MQTT 3.1.1, QoS 1); the server is an AMQP client declaring its real topology.
 */
import {
  CredentialReplica,
  LayeredUsers,
  UserRegistry,
  hashKitSecret,
  hashPassword,
  type UserEntry,
} from '@wardline/broker';
import { startRabbitAuthService, type RunningRabbitAuthService } from '@wardline/broker/rabbitmq';
import type { BrokerCredentialFeed } from '@wardline/protocol';
import { assertTopology, READINGS_QUEUE } from '@wardline/server';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import mqtt, { type MqttClient } from 'mqtt';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  shippedRabbitConfig,
  startRabbitCluster,
  type RabbitCluster,
  type RabbitNode,
} from './cluster/rabbitmq.js';
import { waitFor } from './cluster/process.js';

const FEED_TOKEN = 'rabbit-auth-feed-token-0123456789abcdef';
const KIT = { username: 'home.kit-1', site: 'home', gateway: 'kit-1', secret: 'kit-1-secret-0123456789' };
/** Cheap scrypt parameters: this is about who may connect, not how long a guess takes. */
const CHEAP = { N: 1024, r: 8, p: 1 };

/** The users file: the server (`wardline-server`) and gateways a.g1-a.g3 (site-a, gw-1..gw-3). */
async function usersFile(): Promise<UserEntry[]> {
  const users: UserEntry[] = [
    { username: 'wardline-server', passwordHash: await hashPassword('server-secret', CHEAP), role: 'server' },
  ];
  for (const g of [1, 2, 3]) {
    const passwordHash = await hashPassword(`g${g}-secret`, CHEAP);
    users.push({ username: `a.g${g}`, passwordHash, role: 'gateway', site: 'site-a', gateway: `gw-${g}` });
  }
  return users;
}

const OBS = (site: string, gateway: string) => `wardline/v1/${site}/${gateway}/obs`;

/** Connects without reconnecting; resolves with the client or rejects with the CONNACK code. */
function connectGateway(
  node: RabbitNode,
  username: string | undefined,
  password: string | undefined,
  clientId: string,
): Promise<MqttClient> {
  const client = mqtt.connect(node.mqttUrl, {
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    clientId,
    clean: true,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 20_000,
  });
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', (error) => {
      client.end(true);
      reject(error);
    });
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

async function connackCode(
  node: RabbitNode,
  username: string | undefined,
  password: string | undefined,
  clientId: string,
): Promise<number | 'accepted'> {
  try {
    const client = await connectGateway(node, username, password, clientId);
    client.end(true);
    return 'accepted';
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'number') throw error;
    return code;
  }
}

/** Resolves once the client's connection has closed. */
function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => (client.connected ? client.once('close', () => resolve()) : resolve()));
}

describe('RabbitMQ asks Wardline who may connect and what they may do', { timeout: 90_000 }, () => {
  let rabbit: RabbitCluster;
  let node: RabbitNode;
  let service: RunningRabbitAuthService;
  let replica: CredentialReplica;
  let feedServer: Server;
  let feed: BrokerCredentialFeed;
  let server: ChannelModel;
  let serverChannel: Channel;
  const readings: ConsumeMessage[] = [];
  const logLines: string[] = [];
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    feed = {
      version: 1,
      users: [
        {
          username: KIT.username,
          site: KIT.site,
          gateway: KIT.gateway,
          secrets: [{ hash: hashKitSecret(KIT.secret), notAfter: null }],
        },
      ],
    };
    feedServer = createServer((request, response) => {
      if (request.headers.authorization !== `Bearer ${FEED_TOKEN}`) return void response.writeHead(401).end();
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(feed));
    });
    await new Promise<void>((resolve) => feedServer.listen(0, '127.0.0.1', resolve));
    const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
    replica = new CredentialReplica({
      url: `http://127.0.0.1:${(feedServer.address() as AddressInfo).port}/feed`,
      token: FEED_TOKEN,
      intervalMs: 200,
      logger,
    });
    await replica.start();
    service = await startRabbitAuthService({
      users: new LayeredUsers(new UserRegistry(await usersFile()), replica),
      credentials: replica,
      port: 0,
      logger,
    });
    rabbit = await startRabbitCluster({ nodes: 1, ...shippedRabbitConfig(service.url) });
    node = rabbit.nodes[0]!;

    server = await amqp.connect(`amqp://wardline-server:server-secret@127.0.0.1:${node.amqpPort}`);
    serverChannel = await server.createChannel();
    await assertTopology(serverChannel);
    await serverChannel.consume(READINGS_QUEUE, (message) => {
      if (message === null) return;
      readings.push(message);
      serverChannel.ack(message);
    });
  }, 180_000);

  afterAll(async () => {
    for (const client of clients) client.end(true);
    await server?.close().catch(() => undefined);
    await rabbit?.stop();
    await service?.close();
    replica?.stop();
    await new Promise((resolve) => feedServer?.close(resolve));
  });

  const track = (client: MqttClient) => (clients.push(client), client);

  /** Publishes a marker from a.g3 and waits for it: whatever was routed before it has arrived. */
  async function drained(): Promise<void> {
    const marker = randomBytes(8).toString('hex');
    const g3 = track(await connectGateway(node, 'a.g3', 'g3-secret', 'a.g3:marker'));
    await g3.publishAsync(OBS('site-a', 'gw-3'), marker, { qos: 1 });
    await waitFor(
      'the marker to reach the queue',
      () => readings.some((m) => m.content.toString() === marker),
      30_000,
    );
    g3.end();
  }

  it("carries a provisioned gateway's and a kit's readings, routing key and bytes intact, to the server's quorum queue", async () => {
    const payload = randomBytes(2048);
    const gateway = track(await connectGateway(node, 'a.g1', 'g1-secret', 'a.g1'));
    await gateway.publishAsync(OBS('site-a', 'gw-1'), payload, { qos: 1 });
    const kitPayload = randomBytes(64);
    const kit = track(await connectGateway(node, KIT.username, KIT.secret, `${KIT.username}:main`));
    await kit.publishAsync(OBS(KIT.site, KIT.gateway), kitPayload, { qos: 1 });

    await waitFor('both readings in the queue', () => readings.length >= 2, 30_000);
    const first = readings.find((m) => m.fields.routingKey === 'wardline.v1.site-a.gw-1.obs');
    expect(first?.content.equals(payload)).toBe(true);
    const fromKit = readings.find((m) => m.fields.routingKey === 'wardline.v1.home.kit-1.obs');
    expect(fromKit?.content.equals(kitPayload)).toBe(true);
    gateway.end();
    kit.end();
  });

  it('refuses a wrong password, an unknown user and an anonymous client, logging no password', async () => {
    expect(await connackCode(node, 'a.g1', 'not-the-password', 'a.g1')).toBe(4);
    expect(await connackCode(node, 'nobody', 'whatever-password', 'nobody')).toBe(4);
    expect(await connackCode(node, undefined, undefined, 'anonymous-1')).toBe(4);
    // Refused by RabbitMQ itself (mqtt.allow_anonymous = false), not let in as its default user.
    expect(logLines.some((line) => line.includes('"username":"guest"'))).toBe(false);
    const refusals = service.health().refusals;
    expect(refusals).toContainEqual(expect.objectContaining({ check: 'user', code: 'BAD_PASSWORD' }));
    expect(refusals).toContainEqual(expect.objectContaining({ check: 'user', code: 'UNKNOWN_USER' }));
    const logged = logLines.join('');
    expect(logged).toContain('BAD_PASSWORD');
    expect(logged).not.toContain('not-the-password');
    expect(logged).not.toContain('whatever-password');
  });

  it("refuses a gateway using another gateway's client id, and the other gateway stays connected", async () => {
    const owner = track(await connectGateway(node, 'a.g2', 'g2-secret', 'a.g2'));
    expect(await connackCode(node, 'a.g1', 'g1-secret', 'a.g2')).toBe(4);
    expect(await connackCode(node, 'a.g1', 'g1-secret', 'wardline-server-1')).toBe(4);
    // Still able to publish, so not replaced by the refused CONNECT.
    await owner.publishAsync(OBS('site-a', 'gw-2'), 'still here', { qos: 1 });
    expect(owner.connected).toBe(true);
    expect(service.health().refusals).toContainEqual(
      expect.objectContaining({ check: 'user', code: 'CLIENT_ID_NOT_OWNED' }),
    );
    owner.end();
  });

  it("closes a gateway publishing on another gateway's topic; nothing of it reaches the queue", async () => {
    const spoof = randomBytes(16).toString('hex');
    const gateway = track(await connectGateway(node, 'a.g1', 'g1-secret', 'a.g1:spoof'));
    const gone = closed(gateway);
    gateway.publish(OBS('site-a', 'gw-2'), spoof, { qos: 1 });
    await gone;
    await drained();
    expect(readings.some((m) => m.content.toString() === spoof)).toBe(false);
    expect(service.health().refusals).toContainEqual(
      expect.objectContaining({ check: 'topic', code: 'PUBLISH_NOT_ALLOWED' }),
    );
  });

  it("lets a gateway subscribe to its own commands (delivered from the server), and closes one subscribing to another's", async () => {
    const own = track(await connectGateway(node, 'a.g1', 'g1-secret', 'a.g1:commands'));
    await own.subscribeAsync('wardline/v1/site-a/gw-1/cmd/#', { qos: 1 });
    const command = new Promise<string>((resolve) => own.once('message', (topic) => resolve(topic)));
    serverChannel.publish('amq.topic', 'wardline.v1.site-a.gw-1.cmd.identify', Buffer.from('{}'));
    expect(await command).toBe('wardline/v1/site-a/gw-1/cmd/identify');

    const nosy = track(await connectGateway(node, 'a.g1', 'g1-secret', 'a.g1:nosy'));
    const gone = closed(nosy);
    const granted = nosy.subscribeAsync('wardline/v1/site-a/gw-2/cmd/#', { qos: 1 }).then(
      () => 'granted',
      () => 'not granted',
    );
    await gone;
    expect(await granted).toBe('not granted');
    expect(service.health().refusals).toContainEqual(
      expect.objectContaining({ check: 'topic', code: 'SUBSCRIBE_NOT_ALLOWED' }),
    );
    own.end();
  });

  it('lets the server declare wardline.* queues over AMQP but not others, and keeps gateways off AMQP', async () => {
    const channel = await server.createChannel();
    await expect(channel.assertQueue('wardline.scratch', { durable: true })).resolves.toMatchObject({
      queue: 'wardline.scratch',
    });
    await channel.deleteQueue('wardline.scratch');
    await channel.close();

    const other = await server.createChannel();
    other.on('error', () => undefined);
    await expect(other.assertQueue('other.scratch', { durable: true })).rejects.toThrow(/ACCESS_REFUSED/);

    await expect(amqp.connect(`amqp://a.g1:g1-secret@127.0.0.1:${node.amqpPort}`)).rejects.toThrow(
      /ACCESS_REFUSED/,
    );
  });

  it('refuses a kit once the server revokes it', async () => {
    expect(await connackCode(node, KIT.username, KIT.secret, `${KIT.username}:before`)).toBe('accepted');
    feed = { version: 2, users: [{ ...feed.users[0]!, secrets: [] }] };
    await waitFor('the replica to drop the kit', () => replica.find(KIT.username) === undefined, 10_000);
    // A client id RabbitMQ's login cache has not seen is asked about at once.
    expect(await connackCode(node, KIT.username, KIT.secret, `${KIT.username}:after`)).toBe(4);
    expect(service.health().refusals).toContainEqual(
      expect.objectContaining({ check: 'user', code: 'UNKNOWN_USER' }),
    );
  });
});
