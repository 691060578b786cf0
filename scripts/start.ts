/**
 * `npm start`: the whole system on embedded defaults, as separate processes (the same shape
 * as docker-compose.yml): the MQTT broker, the server with its SQLite store and the dashboard,
 * and a simulated care home plus a virtual ward whose gateways read simulated devices.
 * Secrets are generated on first start into .wardline/ and printed once per start.
 *
 * The console shows a banner and then only warnings and errors; every process's full log goes
 * to .wardline/logs/. Ctrl+C stops the gateways, then the server, then the broker, so that
 * nothing loses its broker mid-flight.
 */
import { hashPassword } from '@wardline/broker';
import { demoFleet, type DemoWard } from '@wardline/firmware-sim/demo-fleet';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
  type WriteStream,
} from 'node:fs';
import { createServer } from 'node:net';
import { relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { LEVEL_NUMBERS, readLogLine } from './log-format.js';

const root = resolve(import.meta.dirname, '..');
const home = resolve(process.env.WARDLINE_HOME ?? resolve(root, '.wardline'));
const logDir = resolve(home, 'logs');
const httpPort = Number(process.env.PORT ?? 8080);
const mqttPort = Number(process.env.MQTT_PORT ?? 1883);
const brokerHealthPort = Number(process.env.BROKER_HEALTH_PORT ?? 8081);
// A demo on a laptop is reachable from that laptop only, unless HOST / MQTT_HOST say otherwise.
const httpHost = process.env.HOST ?? '127.0.0.1';
const mqttHost = process.env.MQTT_HOST ?? '127.0.0.1';
const brokerHealthHost = process.env.BROKER_HEALTH_HOST ?? mqttHost;
/** What reaches the console from the processes; the log files get everything. */
const consoleLevel = LEVEL_NUMBERS[process.env.WARDLINE_CONSOLE_LEVEL ?? 'warn'] ?? LEVEL_NUMBERS.warn!;
/** Each process's time to stop after SIGTERM before it is killed (the server bounds itself at 4 s). */
const STOP_GRACE_MS = 8000;

const DEMO_ROLES = ['nurse', 'admin', 'family'] as const;

interface Secrets {
  /** Each demo user's own password: one shared password let the family's sign in as admin. */
  demoPasswords: Record<(typeof DEMO_ROLES)[number], string>;
  serverMqttPassword: string;
  gatewayPasswords: Record<string, string>;
}

const fleet = demoFleet();
const gateways = fleet.flatMap((ward) => ward.gateways);
const gatewayUser = (g: { site: string; gateway: string }) => `${g.site}.${g.gateway}`;
const secretsPath = resolve(home, 'demo-secrets.json');
const shown = (path: string) => {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
};

function loadOrCreateSecrets(): Secrets {
  const secret = () => randomBytes(12).toString('base64url');
  if (existsSync(secretsPath)) {
    const secrets = JSON.parse(readFileSync(secretsPath, 'utf8')) as Partial<Secrets>;
    if (secrets.serverMqttPassword && gateways.every((g) => secrets.gatewayPasswords?.[gatewayUser(g)])) {
      // A file from before per-user demo passwords: new ones; the server sets them on start.
      if (!DEMO_ROLES.every((role) => secrets.demoPasswords?.[role])) {
        secrets.demoPasswords = Object.fromEntries(
          DEMO_ROLES.map((r) => [r, secret()]),
        ) as Secrets['demoPasswords'];
        delete (secrets as { demoPassword?: string }).demoPassword;
        writeFileSync(secretsPath, JSON.stringify(secrets, null, 2), { mode: 0o600 });
      }
      return secrets as Secrets;
    }
  }
  const secrets: Secrets = {
    demoPasswords: Object.fromEntries(DEMO_ROLES.map((role) => [role, secret()])) as Secrets['demoPasswords'],
    serverMqttPassword: secret(),
    gatewayPasswords: Object.fromEntries(gateways.map((g) => [gatewayUser(g), secret()])),
  };
  writeFileSync(secretsPath, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/**
 * The broker's users file names the server alone: the demo's gateways are kits in the server's
 * database (the server sets their credentials from the secrets file), reaching the broker through
 * its credential feed like any home an admin registers. A file from before, naming them, is replaced.
 */
async function writeBrokerUsers(secrets: Secrets): Promise<string> {
  const path = resolve(home, 'broker-users.json');
  const users = [
    {
      username: 'wardline-server',
      role: 'server',
      passwordHash: await hashPassword(secrets.serverMqttPassword),
    },
  ];
  writeFileSync(path, JSON.stringify({ users }, null, 2), { mode: 0o600 });
  return path;
}

/** This run's log file for a process; the previous run's is kept beside it. */
function openLog(name: string): { path: string; stream: WriteStream } {
  const path = resolve(logDir, `${name}.log`);
  if (existsSync(path)) renameSync(path, resolve(logDir, `${name}.previous.log`));
  return { path, stream: createWriteStream(path, { flags: 'a', mode: 0o600 }) };
}

interface Child {
  name: string;
  process: ChildProcess;
  logPath: string;
  log: WriteStream;
  /** Called with each line the process writes, parsed. */
  watchers: Set<(line: { level: number | null; msg: string }) => void>;
}

const children: Child[] = [];
let stopping = false;

/**
 * The real node process (node --import tsx), not tsx's CLI: a wrapper process does not pass every
 * signal on and, killed, leaves its child running. Each runs in its own process group, so that
 * the terminal's Ctrl+C reaches the launcher alone and the stop order is the launcher's.
 */
function run(name: string, script: string, env: Record<string, string>): Child {
  const { path: logPath, stream: log } = openLog(name);
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      pathToFileURL(resolve(root, 'scripts/stop-with-launcher.ts')).href,
      resolve(root, script),
    ],
    {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true,
    },
  );
  const entry: Child = { name, process: child, logPath, log, watchers: new Set() };
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      const { level, text } = readLogLine(name, line, { date: true });
      log.write(`${text}\n`);
      if (level === null || level >= consoleLevel) console.log(readLogLine(name, line).text);
      if (entry.watchers.size > 0) {
        const msg = level === null ? line : String((JSON.parse(line) as { msg?: unknown }).msg ?? '');
        for (const watch of entry.watchers) watch({ level, msg });
      }
    });
  }
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.log(
      `[${name}] stopped unexpectedly (${signal ?? `exit code ${code}`}); its log: ${shown(logPath)}. Stopping Wardline.`,
    );
    void stop(1);
  });
  children.push(entry);
  return entry;
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/** SIGTERM, then SIGKILL if it has not gone within the grace period. */
async function stopChild({ name, process: child }: Child): Promise<boolean> {
  if (exited(child)) return child.exitCode === 0;
  const started = Date.now();
  const gone = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  if (await Promise.race([gone.then(() => false), sleep(STOP_GRACE_MS).then(() => true)])) {
    child.kill('SIGKILL');
    await gone;
    console.log(`${`[${name}]`.padEnd(10)} did not stop within ${STOP_GRACE_MS / 1000} s; killed`);
    return false;
  }
  const took = ((Date.now() - started) / 1000).toFixed(1);
  const clean = child.exitCode === 0;
  console.log(
    `${`[${name}]`.padEnd(10)} stopped (${took} s${clean ? '' : `, ${child.signalCode ?? `exit code ${child.exitCode}`}`})`,
  );
  return clean;
}

/** Gateways first (their outboxes drain into a broker that is still there), then server, then broker. */
const STOP_ORDER = ['gateways', 'server', 'broker'];

async function stop(code: number): Promise<never> {
  if (stopping) return new Promise<never>(() => {});
  stopping = true;
  if (code === 0) console.log('Stopping Wardline...');
  let clean = true;
  const ordered = [...children].sort((a, b) => STOP_ORDER.indexOf(a.name) - STOP_ORDER.indexOf(b.name));
  for (const child of ordered) clean = (await stopChild(child)) && clean;
  await Promise.all(children.map(({ log }) => new Promise((done) => log.end(done))));
  console.log(code === 0 && clean ? 'Wardline stopped.' : `Wardline stopped; logs in ${shown(logDir)}`);
  process.exit(code || (clean ? 0 : 1));
}
// A terminal's Ctrl+C and npm's forwarding of it arrive together: one stop, in order.
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.on('SIGHUP', () => void stop(0));

async function waitFor(url: string, name: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) return new Promise<void>(() => {});
    try {
      const res = await fetch(url);
      if (res.status < 500 || name === 'server') return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`${name} did not answer at ${url} within ${timeoutMs / 1000} s`);
}

/**
 * Until the broker holds every gateway credential the server has (the demo's kits among them): a
 * gateway connecting before would be refused, and refusals put 127.0.0.1 on the broker's back-off.
 */
async function waitForGatewayCredentials(syncToken: string, timeoutMs = 30_000): Promise<void> {
  const feed = await fetch(`http://127.0.0.1:${httpPort}/api/internal/broker/credentials?since=0`, {
    headers: { authorization: `Bearer ${syncToken}` },
  });
  if (!feed.ok) throw new Error(`the server's credential feed answered ${feed.status}`);
  const { version, users } = (await feed.json()) as {
    version: number;
    users: { username: string; secrets: unknown[] }[];
  };
  const admitted = new Set(users.filter((user) => user.secrets.length > 0).map((user) => user.username));
  const refused = gateways.map(gatewayUser).filter((username) => !admitted.has(username));
  if (refused.length > 0)
    console.log(`Demo gateways whose kit is revoked (they will be refused): ${refused.join(', ')}`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) return new Promise<void>(() => {});
    try {
      const res = await fetch(`http://127.0.0.1:${brokerHealthPort}/health`);
      const health = (await res.json()) as { credentials?: { version: number } | null };
      if ((health.credentials?.version ?? 0) >= version) return;
    } catch {
      // answered before; a moment's hiccup
    }
    await sleep(200);
  }
  throw new Error(`the broker did not receive the gateway credentials within ${timeoutMs / 1000} s`);
}

/** Resolves when the process writes a line with this message, or after the timeout. */
function waitForLine(child: Child, msg: string, timeoutMs: number): Promise<boolean> {
  return new Promise((done) => {
    const timer = setTimeout(() => finish(false), timeoutMs);
    const watch = (line: { msg: string }) => {
      if (line.msg === msg) finish(true);
    };
    const finish = (seen: boolean) => {
      clearTimeout(timer);
      child.watchers.delete(watch);
      done(seen);
    };
    child.watchers.add(watch);
  });
}

function describeWard(ward: DemoWard): string {
  const residents = ward.gateways.reduce((n, g) => n + g.residents.length, 0);
  const kind = ward.kind === 'care_home' ? 'care home' : 'virtual ward';
  const g = ward.gateways.length;
  return `${ward.name} (${kind}: ${residents} residents, ${g} gateway${g === 1 ? '' : 's'})`;
}

function banner(secrets: Secrets): string {
  const pad = (role: string) => role.padEnd(7);
  const [firstWard, ...otherWards] = fleet.map(describeWard);
  return `
  Wardline is running: demo wards whose residents, devices and events are all simulated.

    Dashboard     http://localhost:${httpPort}
    Sign in as    ${pad('nurse')} password ${secrets.demoPasswords.nurse}
                  ${pad('admin')} password ${secrets.demoPasswords.admin}
                  ${pad('family')} password ${secrets.demoPasswords.family}
    Demo          ${[firstWard, ...otherWards.map((w) => `                  ${w}`)].join('\n')}
    API health    http://localhost:${httpPort}/api/health
    MQTT broker   mqtt://localhost:${mqttPort}   (broker health http://localhost:${brokerHealthPort}/health)
    Secrets       ${shown(secretsPath)} (sign-in, gateway and server MQTT passwords)
    Logs          ${shown(logDir)}/ (broker.log, server.log, gateways.log)

  Only warnings and errors appear here from now on. Press Ctrl+C to stop.
`;
}

/** Null when the port can be listened on; otherwise why not. */
function portProblem(host: string, port: number): Promise<string | null> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      done(err.code === 'EADDRINUSE' ? 'is in use' : `cannot be used (${err.code ?? err.message})`),
    );
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => done(null)));
  });
}

/** Another program on one of the ports is the commonest first-run problem: say which, and the fix. */
async function checkPorts(): Promise<boolean> {
  const ports: [string, string, number][] = [
    ['PORT', httpHost, httpPort],
    ['MQTT_PORT', mqttHost, mqttPort],
    ['BROKER_HEALTH_PORT', brokerHealthHost, brokerHealthPort],
  ];
  let free = true;
  for (const [variable, host, port] of ports) {
    const problem = await portProblem(host, port);
    if (!problem) continue;
    free = false;
    console.log(
      `Port ${port} on ${host} ${problem}: stop the program using it, or choose another, e.g. ${variable}=${port + 10} npm start`,
    );
  }
  return free;
}

async function main(): Promise<void> {
  if (!(await checkPorts())) process.exit(1);
  mkdirSync(home, { recursive: true });
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  const secrets = loadOrCreateSecrets();
  const usersFile = await writeBrokerUsers(secrets);
  // The broker's snapshot endpoint token, read by `npm run backup` from the same file.
  const adminTokenPath = resolve(home, 'broker-admin-token');
  if (!existsSync(adminTokenPath))
    writeFileSync(adminTokenPath, randomBytes(32).toString('hex'), { mode: 0o600 });
  // The broker reads gateway kits' credentials from the server's feed with this token.
  const syncTokenPath = resolve(home, 'broker-sync-token');
  if (!existsSync(syncTokenPath))
    writeFileSync(syncTokenPath, randomBytes(32).toString('hex'), { mode: 0o600 });
  const syncToken = readFileSync(syncTokenPath, 'utf8').trim();
  console.log(`Starting Wardline: broker, server, simulated gateways (logs in ${shown(logDir)}/)`);

  run('broker', 'broker/src/main.ts', {
    MQTT_HOST: mqttHost,
    MQTT_PORT: String(mqttPort),
    BROKER_HEALTH_HOST: brokerHealthHost,
    BROKER_HEALTH_PORT: String(brokerHealthPort),
    WARDLINE_BROKER_USERS_FILE: usersFile,
    WARDLINE_BROKER_DATA_DIR: resolve(home, 'broker'),
    WARDLINE_BROKER_ADMIN_TOKEN: readFileSync(adminTokenPath, 'utf8').trim(),
    // Gateway kits (the demo's among them) are admitted from the server's database, without a restart.
    WARDLINE_CREDENTIALS_URL: `http://127.0.0.1:${httpPort}/api/internal/broker/credentials`,
    WARDLINE_BROKER_SYNC_TOKEN: syncToken,
  });
  await waitFor(`http://127.0.0.1:${brokerHealthPort}/health`, 'broker');

  run('server', 'server/src/main.ts', {
    HOST: httpHost,
    PORT: String(httpPort),
    WARDLINE_MQTT_URL: `mqtt://127.0.0.1:${mqttPort}`,
    WARDLINE_MQTT_USERNAME: 'wardline-server',
    WARDLINE_MQTT_PASSWORD: secrets.serverMqttPassword,
    WARDLINE_DB_PATH: resolve(home, 'server/wardline.db'),
    WARDLINE_DEMO: '1',
    WARDLINE_DEMO_NURSE_PASSWORD: secrets.demoPasswords.nurse,
    WARDLINE_DEMO_ADMIN_PASSWORD: secrets.demoPasswords.admin,
    WARDLINE_DEMO_FAMILY_PASSWORD: secrets.demoPasswords.family,
    // The demo gateways' passwords, which the server sets as their kits' credentials.
    WARDLINE_DEMO_GATEWAY_SECRETS: secretsPath,
    WARDLINE_BROKER_SYNC_TOKEN: syncToken,
    // Written into kits' provisioning files: where their gateways reach the broker.
    WARDLINE_GATEWAY_MQTT_URL: `mqtt://${mqttHost === '0.0.0.0' ? '127.0.0.1' : mqttHost}:${mqttPort}`,
  });
  await waitFor(`http://127.0.0.1:${httpPort}/api/health`, 'server');
  await waitForGatewayCredentials(syncToken);

  const fleetProcess = run('gateways', 'scripts/simulate-fleet.ts', {
    WARDLINE_BROKER_URL: `mqtt://127.0.0.1:${mqttPort}`,
    WARDLINE_FLEET_SECRETS: secretsPath,
    WARDLINE_OUTBOX_DIR: resolve(home, 'gateways'),
    // The demo's clock and what has already happened in it: a restart continues the story.
    WARDLINE_DEMO_STATE: resolve(home, 'demo-state.json'),
    // Where the demo nurse records the staff observations of the rounds.
    WARDLINE_DEMO_SERVER_URL: `http://127.0.0.1:${httpPort}`,
  });
  // The banner comes once the gateways are up, so that it is the last thing on the screen.
  await waitForLine(fleetProcess, 'simulated homes running', 30_000);
  if (!stopping) console.log(banner(secrets));
}

main().catch((err: unknown) => {
  console.log(`Wardline did not start: ${err instanceof Error ? err.message : String(err)}`);
  console.log(`Logs: ${shown(logDir)}/`);
  void stop(1);
});
