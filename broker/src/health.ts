import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AuthStats } from './authenticator.js';
import type { ReplicaStatus } from './credential-replica.js';
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
  /** The replica of the server's kit credentials: version, age of the last sync, failures; null without one. */
  credentials: ReplicaStatus | null;
  /** Gateway connections whose reading is paused by their publish rate limit right now. */
  throttledClients: number;
  uptimeSeconds: number;
  refusals: RefusalCounts;
}

/** The Prometheus text of the broker's metrics, with its content type. */
export type MetricsText = () => Promise<{ contentType: string; body: string }>;

/**
 * GET /health -> 200 with the report while the broker runs, 503 once it is shutting down.
 * GET /metrics -> Prometheus metrics, when `metrics` is given (metrics.ts).
 * `admin` answers the paths it handles first (admin.ts); it returns false for the others.
 */
export function createHealthServer(
  report: () => HealthReport,
  admin?: (request: IncomingMessage, response: ServerResponse) => boolean,
  metrics?: MetricsText,
): Server {
  return createServer((request, response) => {
    if (admin?.(request, response)) return;
    const path = new URL(request.url ?? '/', 'http://health').pathname;
    const isMetrics = path === '/metrics' && metrics !== undefined;
    if (path !== '/health' && !isMetrics) return send(response, 404, { error: 'not found' });
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      return send(response, 405, { error: 'method not allowed' });
    }
    if (isMetrics) return void sendMetrics(request, response, metrics);
    const body = report();
    send(response, body.status === 'ok' ? 200 : 503, body);
  });
}

async function sendMetrics(request: IncomingMessage, response: ServerResponse, metrics: MetricsText) {
  try {
    const { contentType, body } = await metrics();
    response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : body);
  } catch (error) {
    send(response, 500, { error: `metrics unavailable: ${(error as Error).message}` });
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  response.end(JSON.stringify(body));
}
