import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AuthStats } from './authenticator.js';
import type { ConnectionCounts } from './identity-connections.js';
import type { RefusalCounts } from './refusals.js';

export interface HealthReport {
  status: 'ok' | 'closing';
  /** Connected MQTT clients, as aedes counts them. */
  clients: number;
  /** Admitted connections per role, waiting gateway connections, and replacements so far. */
  connections: ConnectionCounts;
  /** Password checks running and queued, verified credentials held, addresses on back-off. */
  auth: AuthStats;
  /** Gateway connections whose reading is paused by their publish rate limit right now. */
  throttledClients: number;
  uptimeSeconds: number;
  refusals: RefusalCounts;
}

/** GET /health -> 200 with the report while the broker runs, 503 once it is shutting down. */
export function createHealthServer(report: () => HealthReport): Server {
  return createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://health').pathname;
    if (path !== '/health') return send(response, 404, { error: 'not found' });
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      return send(response, 405, { error: 'method not allowed' });
    }
    const body = report();
    send(response, body.status === 'ok' ? 200 : 503, body);
  });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  response.end(JSON.stringify(body));
}
