/**
 * Where the backup and restore commands look by default: the same places `npm start` uses
 * (WARDLINE_HOME, default .wardline/ in the repository), unless the server's and broker's own
 * variables (WARDLINE_DB_PATH, WARDLINE_BROKER_DATA_DIR, BROKER_HEALTH_PORT) say otherwise.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const readPackage = (dir: string): { name?: string; version?: string } | null => {
  const path = join(dir, 'package.json');
  return existsSync(path)
    ? (JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string })
    : null;
};

/** The checkout (or the image's runtime tree): the nearest folder up holding Wardline's package.json. */
function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (readPackage(dir)?.name === 'wardline') return dir;
    if (dirname(dir) === dir) return resolve(from, '..');
  }
}

const root = findRoot(import.meta.dirname);

/** The release's version, for the manifest. */
export const wardlineVersion = (): string => readPackage(root)?.version ?? 'unknown';

export const wardlineHome = (env = process.env): string =>
  resolve(env.WARDLINE_HOME ?? resolve(root, '.wardline'));

export const defaultDatabasePath = (env = process.env): string =>
  resolve(env.WARDLINE_DB_PATH ?? resolve(wardlineHome(env), 'server/wardline.db'));

export const defaultBrokerDataDir = (env = process.env): string =>
  resolve(env.WARDLINE_BROKER_DATA_DIR ?? resolve(wardlineHome(env), 'broker'));

export const defaultBrokerAdminUrl = (env = process.env): string =>
  env.WARDLINE_BROKER_ADMIN_URL ?? `http://127.0.0.1:${env.BROKER_HEALTH_PORT ?? '8081'}`;

/** WARDLINE_BROKER_ADMIN_TOKEN, or the one `npm start` gave its broker (WARDLINE_HOME/broker-admin-token). */
export function brokerAdminToken(env = process.env): string | null {
  if (env.WARDLINE_BROKER_ADMIN_TOKEN) return env.WARDLINE_BROKER_ADMIN_TOKEN;
  const file = resolve(wardlineHome(env), 'broker-admin-token');
  const token = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  return token === '' ? null : token;
}
