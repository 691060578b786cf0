/** The local health endpoint, over real HTTP on 127.0.0.1, for a gateway with and without its broker. */
import { once } from 'node:events';
import net from 'node:net';
import { SimulatedHome } from '@wardline/firmware-sim';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from './gateway.js';
import { startHealthServer, type HealthServer } from './health.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function gatewayOn(port: number, home: SimulatedHome): Promise<RunningGateway> {
  const gateway = await startGateway({
    site: 'test-site',
    gateway: 'gw-health',
    broker: { url: `mqtt://127.0.0.1:${port}`, reconnectPeriodMs: 100 },
    source: home,
    statusIntervalMs: 60_000,
  });
  cleanup.push(() => gateway.stop(100));
  return gateway;
}

interface Report {
  broker: { connected: boolean };
  outbox: { pending: number; capacity: number; nearlyFull: boolean };
  devices: { deviceId: string }[];
}

async function health(server: HealthServer) {
  const res = await fetch(`http://127.0.0.1:${server.port}/health`);
  return { status: res.status, body: (await res.json()) as Report };
}

describe('health endpoint', () => {
  it('answers 200 with devices and outbox when connected to the broker', async () => {
    const { Aedes } = await import('aedes');
    const broker = await Aedes.createBroker();
    const tcp = net.createServer(broker.handle).listen(0, '127.0.0.1');
    await once(tcp, 'listening');
    cleanup.push(() => new Promise((r) => broker.close(() => tcp.close(r))));
    const home = new SimulatedHome({ residents: 1 });
    const gateway = await gatewayOn((tcp.address() as net.AddressInfo).port, home);
    home.connectAll();
    const server = await startHealthServer(0, gateway, () => ({ ble: [] }));
    cleanup.push(() => server.close());
    for (let i = 0; i < 100 && !gateway.stats().mqtt.connected; i++)
      await new Promise((r) => setTimeout(r, 20));
    const { status, body } = await health(server);
    expect(status).toBe(200);
    expect(body.broker.connected).toBe(true);
    expect(body.outbox).toMatchObject({ capacity: 100_000, nearlyFull: false });
    expect(body.devices.map((d) => d.deviceId).sort()).toEqual(
      home
        .devices()
        .map((d) => d.deviceId)
        .sort(),
    );
    home.stop();
  });

  it('answers 503 while the broker cannot be reached, with what is waiting', async () => {
    const closed = net.createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const home = new SimulatedHome({ residents: 1 });
    const gateway = await gatewayOn(port, home);
    home.connectAll();
    home.takeReading(0);
    const server = await startHealthServer(0, gateway);
    cleanup.push(() => server.close());
    const { status, body } = await health(server);
    expect(status).toBe(503);
    expect(body.broker.connected).toBe(false);
    expect(body.outbox.pending).toBe(1);
    home.stop();
  });
});
