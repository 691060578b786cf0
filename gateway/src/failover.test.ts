/**
 * The gateway's broker list against plain aedes brokers on 127.0.0.1 (TCP and TLS): it goes down
 * the list until a broker answers, stays on that one, moves on when it dies, and checks each TLS
 * broker's certificate against that broker's own name.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { SimulatedHome } from '@wardline/firmware-sim';
import { Channel, gatewayTopic, type ObservationBatch } from '@wardline/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from './gateway.js';

const address = { site: 'test-site', gateway: 'gw-failover' };
const OBS = gatewayTopic(address, Channel.observations);

interface TestBroker {
  port: number;
  /** Observation ids published to this broker. */
  ids: Set<string>;
  close(): Promise<void>;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function startBroker(port = 0, certificate?: { key: Buffer; cert: Buffer }): Promise<TestBroker> {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const ids = new Set<string>();
  broker.on('publish', (packet, client) => {
    if (!client || packet.topic !== OBS) return;
    const batch = JSON.parse(packet.payload.toString()) as ObservationBatch;
    for (const o of batch.observations) ids.add(o.id);
  });
  const server = certificate ? tls.createServer(certificate, broker.handle) : net.createServer(broker.handle);
  const sockets = new Set<net.Socket>();
  server.on(certificate ? 'secureConnection' : 'connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    // As a dying broker: connections cut, no DISCONNECT.
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => broker.close(() => r()));
  };
  cleanups.push(close);
  return { port: (server.address() as net.AddressInfo).port, ids, close };
}

async function closedPort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function gatewayOn(urls: string[], home: SimulatedHome, ca?: Buffer): Promise<RunningGateway> {
  const gateway = await startGateway({
    ...address,
    broker: { url: urls, reconnectPeriodMs: 50, connectTimeoutMs: 2000, ...(ca ? { ca } : {}) },
    source: home,
    statusIntervalMs: 60_000,
  });
  cleanups.push(() => gateway.stop(200));
  return gateway;
}

async function until<T>(probe: () => T, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function readings(home: SimulatedHome, n: number): void {
  for (let i = 0; i < n; i++) home.takeReading(0);
}

describe('broker failover', () => {
  it('goes down the list until a broker answers, stays there when the first comes back, moves on when it dies', async () => {
    const deadA = await closedPort();
    const deadB = await closedPort();
    const c = await startBroker();
    const home = new SimulatedHome({ residents: 1 });
    cleanups.push(async () => home.stop());
    const urls = [deadA, deadB, c.port].map((p) => `mqtt://127.0.0.1:${p}`);
    const gateway = await gatewayOn(urls, home);
    home.connectAll();
    await until(() => gateway.stats().mqtt.connected, 'a connection');
    expect(gateway.stats().mqtt).toMatchObject({ broker: urls[2], connects: 1, failovers: 0 });

    // The first broker comes up: the gateway stays where it is.
    const a = await startBroker(deadA);
    readings(home, 20);
    await until(() => c.ids.size === 20, 'readings at the third broker');
    expect(a.ids.size).toBe(0);

    // The broker it is on dies: on to the next one in the list (round the end to the first).
    await c.close();
    readings(home, 20);
    await until(() => a.ids.size === 20, 'the readings taken meanwhile at the first broker');
    expect(gateway.stats().mqtt).toMatchObject({
      broker: urls[0],
      connected: true,
      connects: 2,
      failovers: 1,
    });
    expect(gateway.stats().outbox.pending).toBe(0);
  });

  it('checks each TLS broker against its own name, not the first one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wardline-failover-tls-'));
    // Two certificates: one for the name localhost, one for the address 127.0.0.1 only. mqtt.js's
    // own `servers` list would keep "localhost" as the TLS server name for the second and fail.
    const make = (name: string, san: string) => {
      const key = join(dir, `${name}.key`);
      const cert = join(dir, `${name}.pem`);
      execFileSync(
        'openssl',
        [
          ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-days', '1'],
          ...['-addext', `subjectAltName=${san}`, '-keyout', key, '-out', cert],
        ],
        { stdio: 'ignore' },
      );
      return { key: readFileSync(key), cert: readFileSync(cert) };
    };
    const byName = make('localhost', 'DNS:localhost');
    const byAddress = make('loopback', 'IP:127.0.0.1');
    const first = await startBroker(0, byName);
    const second = await startBroker(0, byAddress);
    const home = new SimulatedHome({ residents: 1 });
    cleanups.push(async () => home.stop());
    const urls = [`mqtts://localhost:${first.port}`, `mqtts://127.0.0.1:${second.port}`];
    const gateway = await gatewayOn(urls, home, Buffer.concat([byName.cert, byAddress.cert]));
    home.connectAll();
    await until(() => gateway.stats().mqtt.connected, 'a TLS connection to the first broker');
    readings(home, 5);
    await until(() => first.ids.size === 5, 'readings at the first broker');

    await first.close();
    readings(home, 5);
    await until(() => second.ids.size === 5, 'readings at the second broker, over TLS');
    expect(gateway.stats().mqtt).toMatchObject({ broker: urls[1], connected: true, failovers: 1 });
  });
});
