/**
 * `npm start`: the whole system on embedded defaults, as separate processes (the same shape
 * as docker-compose.yml): the MQTT broker, the server with its SQLite store and the dashboard,
 * and a simulated care home plus a virtual ward whose gateways read simulated devices.
 * Secrets are generated on first start into .wardline/ and printed once per start.
 */
import { hashPassword } from '@wardline/broker';
import { demoFleet } from '@wardline/firmware-sim/demo-fleet';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatLogLine } from './log-format.js';

const root = resolve(import.meta.dirname, '..');
const home = resolve(process.env.WARDLINE_HOME ?? resolve(root, '.wardline'));
const httpPort = Number(process.env.PORT ?? 8080);
const mqttPort = Number(process.env.MQTT_PORT ?? 1883);
const brokerHealthPort = Number(process.env.BROKER_HEALTH_PORT ?? 8081);
// A demo on a laptop is reachable from that laptop only, unless HOST / MQTT_HOST say otherwise.
const httpHost = process.env.HOST ?? '127.0.0.1';
const mqttHost = process.env.MQTT_HOST ?? '127.0.0.1';
const brokerHealthHost = process.env.BROKER_HEALTH_HOST ?? mqttHost;
const tsx = resolve(root, 'node_modules/.bin/tsx');

const DEMO_ROLES = ['nurse', 'admin', 'family'] as const;

interface Secrets {
  /** Each demo user's own password: one shared password let the family's sign in as admin. */
  demoPasswords: Record<(typeof DEMO_ROLES)[number], string>;
  serverMqttPassword: string;
  gatewayPasswords: Record<string, string>;
}

const gateways = demoFleet().flatMap((ward) => ward.gateways);
const gatewayUser = (g: { site: string; gateway: string }) => `${g.site}.${g.gateway}`;

function loadOrCreateSecrets(): Secrets {
  const path = resolve(home, 'demo-secrets.json');
  const secret = () => randomBytes(12).toString('base64url');
  if (existsSync(path)) {
    const secrets = JSON.parse(readFileSync(path, 'utf8')) as Partial<Secrets>;
    if (secrets.serverMqttPassword && gateways.every((g) => secrets.gatewayPasswords?.[gatewayUser(g)])) {
      // A file from before per-user demo passwords: new ones; the server sets them on start.
      if (!DEMO_ROLES.every((role) => secrets.demoPasswords?.[role])) {
        secrets.demoPasswords = Object.fromEntries(
          DEMO_ROLES.map((r) => [r, secret()]),
        ) as Secrets['demoPasswords'];
        delete (secrets as { demoPassword?: string }).demoPassword;
        writeFileSync(path, JSON.stringify(secrets, null, 2), { mode: 0o600 });
      }
      return secrets as Secrets;
    }
  }
  const secrets: Secrets = {
    demoPasswords: Object.fromEntries(DEMO_ROLES.map((role) => [role, secret()])) as Secrets['demoPasswords'],
    serverMqttPassword: secret(),
    gatewayPasswords: Object.fromEntries(gateways.map((g) => [gatewayUser(g), secret()])),
  };
  writeFileSync(path, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

async function writeBrokerUsers(secrets: Secrets): Promise<string> {
  const path = resolve(home, 'broker-users.json');
  const users = [
    {
      username: 'wardline-server',
      role: 'server',
      passwordHash: await hashPassword(secrets.serverMqttPassword),
    },
    ...(await Promise.all(
      gateways.map(async (g) => ({
        username: gatewayUser(g),
        role: 'gateway',
        site: g.site,
        gateway: g.gateway,
        passwordHash: await hashPassword(secrets.gatewayPasswords[gatewayUser(g)]!),
      })),
    )),
  ];
  writeFileSync(path, JSON.stringify({ users }, null, 2), { mode: 0o600 });
  return path;
}

const children: ChildProcess[] = [];
let stopping = false;

function run(name: string, script: string, env: Record<string, string>): ChildProcess {
  const child = spawn(tsx, [resolve(root, script)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => console.log(formatLogLine(name, line)));
  }
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`[${name}] exited (${signal ?? code}); stopping Wardline`);
    void stop(1);
  });
  children.push(child);
  return child;
}

async function waitFor(url: string, name: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.status < 500 || name === 'server') return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`${name} did not become ready at ${url}`);
}

/** Stops in reverse order of start (gateways drain into the broker before it goes), each awaited. */
async function stop(code: number): Promise<never> {
  if (stopping) return new Promise<never>(() => {});
  stopping = true;
  for (const child of [...children].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timedOut = await Promise.race([exited.then(() => false), sleep(8000).then(() => true)]);
    if (timedOut) child.kill('SIGKILL');
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

mkdirSync(home, { recursive: true });
const secrets = loadOrCreateSecrets();
const usersFile = await writeBrokerUsers(secrets);

run('broker', 'broker/src/main.ts', {
  MQTT_HOST: mqttHost,
  MQTT_PORT: String(mqttPort),
  BROKER_HEALTH_HOST: brokerHealthHost,
  BROKER_HEALTH_PORT: String(brokerHealthPort),
  WARDLINE_BROKER_USERS_FILE: usersFile,
  WARDLINE_BROKER_DATA_DIR: resolve(home, 'broker'),
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
});
await waitFor(`http://127.0.0.1:${httpPort}/api/health`, 'server');

run('gateways', 'scripts/simulate-fleet.ts', {
  WARDLINE_BROKER_URL: `mqtt://127.0.0.1:${mqttPort}`,
  WARDLINE_FLEET_SECRETS: resolve(home, 'demo-secrets.json'),
  WARDLINE_OUTBOX_DIR: resolve(home, 'gateways'),
});

console.log(`
  Wardline is running on embedded defaults.

    Dashboard     http://localhost:${httpPort}
    API health    http://localhost:${httpPort}/api/health
    MQTT broker   mqtt://localhost:${mqttPort}   (broker health http://localhost:${brokerHealthPort}/health)

    Sign in as    nurse    password: ${secrets.demoPasswords.nurse}
                  admin    password: ${secrets.demoPasswords.admin}
                  family   password: ${secrets.demoPasswords.family}
    Secrets       ${resolve(home, 'demo-secrets.json')} (gateway and server MQTT passwords)
    Data          ${home}

  Press Ctrl+C to stop.
`);
