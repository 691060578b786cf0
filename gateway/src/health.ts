/**
 * Local health endpoint: GET /health on 127.0.0.1 answers the gateway's status as JSON: broker
 * connection (which broker, how many failovers), outbox (pending, capacity, nearly full), each
 * device (connected, battery, RSSI, last seen, last error) and the BLE central's view. 200 when
 * connected to the broker and the outbox is not nearly full, else 503, so a watchdog or an
 * installer can poll it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NEARLY_FULL_FRACTION } from './durable-outbox.js';
import type { RunningGateway } from './gateway.js';

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export function healthReport(gateway: RunningGateway, extra: Record<string, unknown> = {}) {
  const stats = gateway.stats();
  const nearlyFull = stats.outbox.pending >= stats.outbox.capacity * NEARLY_FULL_FRACTION;
  return {
    ok: stats.mqtt.connected && !nearlyFull,
    site: stats.site,
    gateway: stats.gateway,
    broker: {
      connected: stats.mqtt.connected,
      url: stats.mqtt.broker,
      connects: stats.mqtt.connects,
      failovers: stats.mqtt.failovers,
    },
    outbox: { ...stats.outbox, nearlyFull },
    devices: gateway.devices(),
    dispatch: stats.dispatch,
    ...extra,
  };
}

export async function startHealthServer(
  port: number,
  gateway: RunningGateway,
  extra: () => Record<string, unknown> = () => ({}),
): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/health') {
      res.writeHead(404).end();
      return;
    }
    const report = healthReport(gateway, extra());
    res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(report));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
