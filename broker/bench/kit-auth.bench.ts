/**
 * Reconnect storm: 10,000 gateways connect at once to a freshly started broker (as after a broker
 * restart), against
 *   (a) the users file with scrypt hashes at the production cost (N = 2^14), today's way, and
 *   (b) kit credentials replicated from the server's store (sha256 HMAC of 256-bit secrets).
 * Reports time until every gateway is connected and the broker process's CPU (process.cpuUsage of
 * the broker, which runs in a process of its own; the load comes from two more processes).
 *
 * scrypt at the production cost admits a few dozen gateways a second on two cores, so (a) runs a
 * subset (BENCH_FILE_GATEWAYS, default 1,000) and extrapolates its rate to 10,000; every file
 * gateway shares one scrypt hash, which costs the broker exactly as much per CONNECT as distinct
 * ones would (each user name and password is checked on its own). The kit feed is served from a
 * plain HTTP endpoint holding 10,000 store-made hashes: the broker's replica reads it as it reads
 * the server's feed. BENCH_KIT_GATEWAYS sets (b)'s count.
 *
 * Usage: npm run bench -- kit-auth
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrokerCredentialFeed } from '@wardline/protocol';
import { DEFAULT_SCRYPT_COST, hashKitSecret, hashPassword } from '../src/password.js';
import type { UserEntry } from '../src/users.js';

const KIT_GATEWAYS = Number(process.env.BENCH_KIT_GATEWAYS ?? 10_000);
const FILE_GATEWAYS = Number(process.env.BENCH_FILE_GATEWAYS ?? 1_000);
const TARGET = 10_000;
const LOAD_PROCESSES = 2;
const SOURCE_ADDRESSES = 16;
const TOKEN = randomBytes(24).toString('hex');
const here = import.meta.dirname;
const dir = mkdtempSync(join(tmpdir(), 'wardline-kit-auth-'));
const usernameOf = (i: number) => `bench-site.gw-${i}`;

interface Outcome {
  gateways: number;
  seconds: number;
  cpuSeconds: number;
  attempts: number;
  refusals: number;
}

function child(file: string, env: Record<string, string>): ChildProcess {
  return fork(join(here, file), {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function nextMessage<T>(child: ChildProcess, predicate: (m: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${child.pid} exited (${code})`));
    const onMessage = (message: T) => {
      if (!predicate(message)) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function storm(
  label: string,
  gateways: number,
  brokerEnv: Record<string, unknown>,
  passwordOf: string,
): Promise<Outcome> {
  const broker = child('kit-auth-broker.ts', { KIT_AUTH_BROKER: JSON.stringify(brokerEnv) });
  const { port } = await nextMessage<{ port: number }>(broker, (m) => 'port' in m);
  const share = Math.ceil(gateways / LOAD_PROCESSES);
  const loads = Array.from({ length: LOAD_PROCESSES }, (_, k) =>
    child('kit-auth-load.ts', {
      KIT_AUTH_LOAD: JSON.stringify({
        port,
        from: k * share,
        to: Math.min(gateways, (k + 1) * share),
        passwordOf,
        sources: SOURCE_ADDRESSES,
      }),
    }),
  );
  await Promise.all(loads.map((load) => nextMessage(load, (m: { ready?: boolean }) => m.ready === true)));
  broker.send('cpu-start');
  const started = Date.now();
  const done = loads.map((load) =>
    nextMessage<{ done: boolean; lastConnectedAt: number; refusals: number; attempts: number }>(
      load,
      (m) => m.done === true,
    ),
  );
  for (const load of loads) load.send('go');
  const progress = setInterval(() => {
    void Promise.all(
      loads.map((load) => {
        load.send('progress');
        return nextMessage<{ connected: number }>(load, (m) => 'connected' in m && !('done' in m));
      }),
    ).then(
      (counts) => {
        const connected = counts.reduce((n, c) => n + c.connected, 0);
        console.log(
          `  ${label}: ${connected}/${gateways} connected after ${((Date.now() - started) / 1000).toFixed(0)} s`,
        );
      },
      () => undefined,
    );
  }, 10_000);
  const results = await Promise.all(done);
  clearInterval(progress);
  const seconds = (Math.max(...results.map((r) => r.lastConnectedAt)) - started) / 1000;
  broker.send('cpu-stop');
  const { cpu } = await nextMessage<{ cpu: NodeJS.CpuUsage }>(broker, (m) => 'cpu' in m);
  for (const load of loads) load.send('exit');
  broker.send('exit');
  await Promise.all([broker, ...loads].map((p) => new Promise((resolve) => p.once('exit', resolve))));
  return {
    gateways,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    attempts: results.reduce((n, r) => n + r.attempts, 0),
    refusals: results.reduce((n, r) => n + r.refusals, 0),
  };
}

const serverUser: UserEntry = {
  username: 'wardline-server',
  role: 'server',
  passwordHash: await hashPassword(randomBytes(16).toString('hex')),
};

// (a) Today: every gateway in the users file with a production-cost scrypt hash.
const shared = randomBytes(16).toString('hex');
const scryptHash = await hashPassword(shared, DEFAULT_SCRYPT_COST);
const fileUsersPath = join(dir, 'broker-users.json');
writeFileSync(
  fileUsersPath,
  JSON.stringify({
    users: [
      serverUser,
      ...Array.from({ length: FILE_GATEWAYS }, (_, i) => ({
        username: usernameOf(i),
        passwordHash: scryptHash,
        role: 'gateway',
        site: 'bench-site',
        gateway: `gw-${i}`,
      })),
    ],
  }),
);

// (b) Kits: the users file holds the server alone; gateways come from the replicated store.
const base = randomBytes(32).toString('base64url');
const feed: BrokerCredentialFeed = {
  version: KIT_GATEWAYS,
  users: Array.from({ length: KIT_GATEWAYS }, (_, i) => ({
    username: usernameOf(i),
    site: 'bench-site',
    gateway: `gw-${i}`,
    secrets: [{ hash: hashKitSecret(`${base}-${i}`), notAfter: null }],
  })),
};
const feedBody = JSON.stringify(feed);
const empty = JSON.stringify({ version: KIT_GATEWAYS, users: [] });
const feedServer = createServer((request, response) => {
  if (request.headers.authorization !== `Bearer ${TOKEN}`) return void response.writeHead(401).end();
  const since = new URL(request.url ?? '/', 'http://x').searchParams.get('since');
  response.writeHead(200, { 'content-type': 'application/json' }).end(since === '0' ? feedBody : empty);
});
await new Promise<void>((resolve) => feedServer.listen(0, '127.0.0.1', resolve));
const feedUrl = `http://127.0.0.1:${(feedServer.address() as { port: number }).port}/feed`;
const kitUsersPath = join(dir, 'broker-users-server-only.json');
writeFileSync(kitUsersPath, JSON.stringify({ users: [serverUser] }));

console.log(
  `reconnect storm: ${KIT_GATEWAYS} kit gateways; users-file baseline at scrypt N=${DEFAULT_SCRYPT_COST.N} with ${FILE_GATEWAYS} gateways, extrapolated to ${TARGET}`,
);
const file = await storm(
  'users file (scrypt)',
  FILE_GATEWAYS,
  { usersFile: fileUsersPath },
  `shared:${shared}`,
);
const kits = await storm(
  'kit credentials (store)',
  KIT_GATEWAYS,
  { usersFile: kitUsersPath, feedUrl, token: TOKEN, expectKits: KIT_GATEWAYS },
  `kit:${base}`,
);
feedServer.close();

const perGateway = (o: Outcome) => ({ seconds: o.seconds / o.gateways, cpu: o.cpuSeconds / o.gateways });
const fileAt10k = { seconds: perGateway(file).seconds * TARGET, cpu: perGateway(file).cpu * TARGET };
const kitsAt10k = { seconds: perGateway(kits).seconds * TARGET, cpu: perGateway(kits).cpu * TARGET };
const row = (name: string, o: Outcome) =>
  `${name.padEnd(26)} ${String(o.gateways).padStart(6)}  ${o.seconds.toFixed(2).padStart(8)} s  ${o.cpuSeconds
    .toFixed(2)
    .padStart(8)} s CPU  ${String(o.attempts).padStart(7)} CONNECTs (${o.refusals} refused, retried)`;
console.log('\nwho                        gateways  all connected  broker CPU');
console.log(row('users file, scrypt', file));
console.log(row('kit credentials, store', kits));
console.log(
  `\nat ${TARGET} gateways: users file ~${fileAt10k.seconds.toFixed(0)} s and ~${fileAt10k.cpu.toFixed(0)} s CPU ` +
    `(extrapolated from ${file.gateways}), kits ${kitsAt10k.seconds.toFixed(1)} s and ${kitsAt10k.cpu.toFixed(1)} s CPU` +
    `${kits.gateways === TARGET ? ' (measured)' : ' (extrapolated)'}`,
);
console.log(
  `ratio (users file / kits): time ${(fileAt10k.seconds / kitsAt10k.seconds).toFixed(0)}x, broker CPU ${(fileAt10k.cpu / kitsAt10k.cpu).toFixed(0)}x`,
);
