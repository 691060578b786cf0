/**
 * The broker's admin endpoint, served on its health port: `POST /admin/snapshot` streams a
 * consistent snapshot of the durable data (snapshot.ts) to the operator's backup command, which
 * writes it into a data directory of its own. The broker never writes files on request.
 *
 * Off unless WARDLINE_BROKER_ADMIN_TOKEN is set; the caller sends that token as a bearer token.
 * The snapshot holds patients' queued readings: the health port listens on loopback unless the
 * deployment says otherwise (in a container, only the compose network reaches it).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import type { ClassicLevel } from 'classic-level';
import type { Logger } from 'pino';
import {
  readSnapshot,
  SnapshotError,
  writeSnapshot,
  type BrokerDataCounts,
  type SnapshotSummary,
} from './snapshot.js';

export const SNAPSHOT_PATH = '/admin/snapshot';
/** Shorter tokens are refused at start-up: the endpoint hands out health data. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;
const SNAPSHOT_CONTENT_TYPE = 'application/vnd.wardline.broker-snapshot';

export interface AdminOptions {
  /** Null: the endpoint answers 403 and says how to turn it on. */
  token: string | null;
  /** The broker's open LevelDB; null when it keeps its state in memory. */
  level: ClassicLevel | null;
  closing: () => boolean;
  logger: Logger;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

function send(
  response: ServerResponse,
  status: number,
  error: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  response.end(JSON.stringify({ error }));
}

/** A request handler for /admin/*; answers false for any other path. */
export function createAdminHandler(
  options: AdminOptions,
): (request: IncomingMessage, response: ServerResponse) => boolean {
  const expected = options.token === null ? null : digest(options.token);
  let running = false;
  return (request, response) => {
    const path = new URL(request.url ?? '/', 'http://admin').pathname;
    if (!path.startsWith('/admin/')) return false;
    request.resume();
    if (path !== SNAPSHOT_PATH) {
      send(response, 404, 'not found');
      return true;
    }
    if (request.method !== 'POST') {
      send(response, 405, 'method not allowed', { allow: 'POST' });
      return true;
    }
    if (expected === null) {
      send(response, 403, 'broker snapshots are off: start the broker with WARDLINE_BROKER_ADMIN_TOKEN set');
      return true;
    }
    const offered = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    // Hashes of equal length, so the comparison takes the same time whatever was sent.
    if (offered === undefined || !timingSafeEqual(digest(offered), expected)) {
      options.logger.warn(
        { event: 'admin-refused', path, remoteAddress: request.socket.remoteAddress },
        `refused ${path} from ${request.socket.remoteAddress ?? 'unknown address'}: missing or wrong admin token`,
      );
      send(response, 401, 'missing or wrong admin token', { 'www-authenticate': 'Bearer' });
      return true;
    }
    const level = options.level;
    if (level === null) {
      send(
        response,
        409,
        'this broker keeps its state in memory (no WARDLINE_BROKER_DATA_DIR): there is nothing to snapshot',
      );
      return true;
    }
    if (options.closing()) {
      send(response, 503, 'the broker is shutting down');
      return true;
    }
    if (running) {
      send(response, 409, 'a snapshot is already being taken');
      return true;
    }
    running = true;
    const started = performance.now();
    response.writeHead(200, { 'content-type': SNAPSHOT_CONTENT_TYPE, 'cache-control': 'no-store' });
    writeSnapshot(level, response)
      .then((summary) => {
        response.end();
        options.logger.info(
          {
            event: 'snapshot',
            entries: summary.entries,
            bytes: summary.bytes,
            ms: Math.round(performance.now() - started),
          },
          `snapshot of the broker data streamed: ${summary.entries} entries, ${summary.bytes} bytes`,
        );
      })
      .catch((err: unknown) => {
        options.logger.warn(
          { event: 'snapshot-failed', err: (err as Error).message },
          `snapshot of the broker data failed: ${(err as Error).message}`,
        );
        // Cut off without the end marker: the reader refuses the partial stream.
        response.destroy();
      })
      .finally(() => {
        running = false;
      });
    return true;
  };
}

export interface FetchSnapshotOptions {
  /** The broker's health/admin base URL, e.g. http://127.0.0.1:8081. */
  url: string;
  token: string;
  /** A new directory for the copy (must not exist). */
  directory: string;
}

/** Asks a running broker for a snapshot and writes it into a new LevelDB data directory. */
export async function fetchBrokerSnapshot(
  options: FetchSnapshotOptions,
): Promise<SnapshotSummary & { counts: BrokerDataCounts }> {
  const target = new URL(SNAPSHOT_PATH, options.url);
  let response: Response;
  try {
    response = await fetch(target, { method: 'POST', headers: { authorization: `Bearer ${options.token}` } });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new SnapshotError(
      `cannot reach the broker's admin endpoint at ${target.origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
    );
  }
  if (!response.ok || response.body === null) {
    const text = await response.text();
    let reason = text;
    try {
      reason = (JSON.parse(text) as { error?: string }).error ?? text;
    } catch {
      // not JSON: the text itself
    }
    throw new SnapshotError(`the broker at ${target.origin} answered ${response.status}: ${reason}`);
  }
  return readSnapshot(Readable.fromWeb(response.body as ReadableStream), options.directory);
}
