import { readFileSync } from 'node:fs';
import { demoFleet } from '@wardline/firmware-sim/demo-fleet';
import { configFromEnv, type ServerConfig } from './config.js';
import { DatabaseTooNewError } from './db/database.js';
import { DEMO_ROLES, type DemoPasswords } from './demo/seed.js';
import { startServer } from './server.js';

// Everything the server writes (database, WAL, spool) is for its own user only.
process.umask(0o077);

let config;
try {
  config = configFromEnv();
} catch (err) {
  console.error(`wardline-server: ${(err as Error).message}`);
  process.exit(1);
}

const demoPasswordVariable = (role: string) => `WARDLINE_DEMO_${role.toUpperCase()}_PASSWORD`;

/** Each demo user's own password; one shared password would let the family's sign in as admin. */
function demoPasswordsFromEnv(): DemoPasswords {
  const passwords = Object.fromEntries(
    DEMO_ROLES.map((role) => [role, process.env[demoPasswordVariable(role)] ?? '']),
  ) as DemoPasswords;
  const missing = DEMO_ROLES.filter((role) => !passwords[role]).map(demoPasswordVariable);
  if (missing.length > 0) {
    console.error(
      `wardline-server: WARDLINE_DEMO=1 needs ${missing.join(', ')} (one password per demo user; ` +
        'WARDLINE_DEMO_PASSWORD is no longer used)',
    );
    process.exit(1);
  }
  if (new Set(Object.values(passwords)).size !== DEMO_ROLES.length) {
    console.error('wardline-server: the demo users need three different passwords');
    process.exit(1);
  }
  return passwords;
}

/**
 * The demo gateways' passwords, from the secrets file `npm start` writes (owner-only): the server
 * sets them as the demo kits' credentials, which the broker replicates from its feed.
 */
function demoGatewaySecretsFromEnv(): Record<string, string> | undefined {
  const path = process.env.WARDLINE_DEMO_GATEWAY_SECRETS;
  if (!path) return undefined;
  try {
    const { gatewayPasswords } = JSON.parse(readFileSync(path, 'utf8')) as { gatewayPasswords?: unknown };
    if (typeof gatewayPasswords !== 'object' || gatewayPasswords === null)
      throw new Error('no gatewayPasswords');
    return Object.fromEntries(
      Object.entries(gatewayPasswords).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    );
  } catch (err) {
    console.error(
      `wardline-server: cannot read WARDLINE_DEMO_GATEWAY_SECRETS (${path}): ${(err as Error).message}`,
    );
    process.exit(1);
  }
}

/** A start-up failure the operator can fix, in one line; anything else keeps its stack. */
function startFailure(err: unknown, config: ServerConfig): string | null {
  const code = (err as NodeJS.ErrnoException).code;
  const where = `${config.host}:${config.port}`;
  if (code === 'EADDRINUSE')
    return `port ${config.port} is in use (${where}): stop the program using it, or set PORT to a free port`;
  if (code === 'EACCES' || code === 'EPERM')
    return `not allowed to listen on ${where}: set PORT to 1024 or above, or HOST to an address of this machine`;
  if (code === 'EADDRNOTAVAIL')
    return `HOST ${config.host} is not an address of this machine: set HOST to one (127.0.0.1, or 0.0.0.0 for all)`;
  if (
    config.databaseUrl &&
    (code === 'ECONNREFUSED' || code === '28P01' || code === '3D000' || code === 'ENOTFOUND')
  )
    return `cannot reach the PostgreSQL database of WARDLINE_DATABASE_URL (${code}): check its host, port, database name and password`;
  if (code === 'SQLITE_CANTOPEN')
    return `cannot open the database at ${config.databasePath}: set WARDLINE_DB_PATH to a file in a writable directory`;
  return null;
}

const server = await startServer({
  config,
  ...(config.demo
    ? {
        demo: {
          fleet: demoFleet(),
          password: demoPasswordsFromEnv(),
          gatewaySecrets: demoGatewaySecretsFromEnv() ?? {},
        },
      }
    : {}),
}).catch((err: unknown) => {
  // An operator's problem, said plainly: no stack trace.
  const known = err instanceof DatabaseTooNewError ? err.message : startFailure(err, config);
  if (!known) throw err;
  console.error(`wardline-server: ${known}`);
  process.exit(1);
});
server.app.log.info({ port: server.port, publicUrl: server.app.publicUrl() }, 'wardline server ready');
for (const { id, issuer } of config.oidcProviders ?? []) {
  // What to register at the identity provider; it is built from WARDLINE_PUBLIC_URL.
  const redirectUri = `${server.app.publicUrl()}/api/auth/oidc/${id}/callback`;
  server.app.log.info({ provider: id, issuer, redirectUri }, 'single sign-on provider');
  if (!config.publicUrl)
    server.app.log.warn({ provider: id }, 'single sign-on needs WARDLINE_PUBLIC_URL set');
}
if (!config.publicUrl && !['127.0.0.1', 'localhost', '::1'].includes(config.host)) {
  server.app.log.warn(
    { host: config.host },
    'WARDLINE_PUBLIC_URL is not set: browsers reaching this server by another name will be refused',
  );
}

/**
 * A stop request always ends the process within STOP_TIMEOUT_MS, whatever is stuck (a broker that
 * does not answer, ingest holding messages, a client that keeps a socket open): supervisors and
 * `npm start` wait a few seconds before they kill, and a process left behind holds its port.
 * Nothing is lost by exiting early: every acknowledged message is already committed.
 */
const STOP_TIMEOUT_MS = 4000;

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) {
      server.app.log.warn({ signal }, 'second stop signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    server.app.log.info({ signal }, 'shutting down');
    setTimeout(() => {
      server.app.log.error(
        { signal, timeoutMs: STOP_TIMEOUT_MS },
        'shutdown did not finish in time; exiting without it',
      );
      process.exit(1);
    }, STOP_TIMEOUT_MS);
    server
      .close()
      .then(() => {
        server.app.log.info('server stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        server.app.log.error({ err: err instanceof Error ? err.message : String(err) }, 'shutdown failed');
        process.exit(1);
      });
  });
}
