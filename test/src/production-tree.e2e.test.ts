/**
 * The production image's tree, made from this checkout's files the way the Dockerfile makes it
 * (`npm ci`, then scripts/build-production.ts), runs broker, server and simulated gateway with
 * docker-compose.yml's own commands and environment (hosts, ports and mounted paths made local),
 * MQTT over TLS, behind the compose proxy's Caddyfile. A simulated reading reaches the ward and the
 * time-series store, the dashboard is served over HTTPS with HSTS, and no development tool is there
 * to run TypeScript. Slow: one `npm ci` (better-sqlite3 compiles) and one build, about 2 minutes.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BedState } from '@wardline/protocol';
import {
  exportVictoriaMetrics,
  startVictoriaMetrics,
  type RunningEngine,
} from '../../server/src/testing-engines.js';
import { composeConfig, composeSecrets, type ComposeService } from './compose.js';
import { apiGet, freePort, tempDir, waitUntil } from './support.js';

const root = resolve(import.meta.dirname, '../..');
const work = tempDir('production-tree');
const checkout = join(work, 'checkout');
const app = join(work, 'app');

/** The Dockerfile's build steps, run from the build stage's working directory. */
const BUILD_STEPS = [
  ['npm', 'ci', '--no-audit', '--no-fund'],
  ['node_modules/.bin/tsx', 'scripts/build-production.ts', '/app'],
] as const;

const demoPasswords = { nurse: 'nurse-pw-1', admin: 'admin-pw-2', family: 'family-pw-3' };
/** What an operator's .env holds; the MQTT host name is this machine's, so TLS names match. */
const composeEnv = {
  ...composeSecrets,
  WARDLINE_MQTT_HOSTNAME: 'localhost',
  WARDLINE_MQTT_CA: '/etc/wardline/tls/ca.pem',
  WARDLINE_DEMO: '1',
  WARDLINE_DEMO_NURSE_PASSWORD: demoPasswords.nurse,
  WARDLINE_DEMO_ADMIN_PASSWORD: demoPasswords.admin,
  WARDLINE_DEMO_FAMILY_PASSWORD: demoPasswords.family,
};

interface Running {
  name: string;
  child: ChildProcess;
  output: string;
}
const running: Running[] = [];

function start(name: string, command: string[], env: Record<string, string>, cwd = app): Running {
  const [file, ...args] = command as [string, ...string[]];
  const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc: Running = { name, child, output: '' };
  const keep = (chunk: Buffer) => (proc.output = (proc.output + chunk.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  running.push(proc);
  return proc;
}

async function stop(proc: Running): Promise<number | null> {
  if (proc.child.exitCode !== null) return proc.child.exitCode;
  const exited = new Promise<number | null>((done) => proc.child.once('exit', (code) => done(code)));
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 8000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

/** Copies the files git knows of (tracked, or new and not ignored) as they are in the working tree. */
function copyCheckout(to: string): void {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  });
  for (const file of listed.split('\0').filter(Boolean)) {
    if (!existsSync(join(root, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(to, file)), { recursive: true });
    cpSync(join(root, file), join(to, file));
  }
}

/**
 * A service's compose environment with its container paths, hosts and ports made local. Each
 * override names the value compose gives, so a change to docker-compose.yml shows up here.
 */
function localEnv(
  service: ComposeService,
  mounts: Record<string, string>,
  overrides: Record<string, [compose: string, local: string]>,
): Record<string, string> {
  const env = { ...service.environment };
  for (const [key, [composeValue, local]] of Object.entries(overrides)) {
    expect(env[key], key).toBe(composeValue);
    env[key] = local;
  }
  for (const [key, value] of Object.entries(env)) {
    const mount = Object.keys(mounts).find((target) => value.startsWith(`${target}/`) || value === target);
    if (mount) env[key] = mounts[mount]! + value.slice(mount.length);
  }
  // The image's own environment (Dockerfile ENV) and a PATH to find `node` on.
  return { PATH: process.env.PATH!, NODE_ENV: 'production', ...env };
}

/** Container mount point -> local folder, for a service's named volumes and bind mounts. */
function localMounts(service: ComposeService, files: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    (service.volumes ?? []).map((volume) => {
      const [source, target] = volume.split(':') as [string, string];
      if (files[target]) return [target, files[target]];
      if (source.startsWith('/')) return [target, source];
      const dir = join(work, 'volumes', source);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      return [target, dir];
    }),
  );
}

function httpsGet(port: number, path: string, ca: Buffer, headers: Record<string, string> = {}) {
  return new Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: string;
  }>((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, servername: 'localhost', ca, headers }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => done({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

let npmCiOutput = '';
let vm: RunningEngine | undefined;

describe('production tree', () => {
  beforeAll(() => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    for (const step of BUILD_STEPS) expect(dockerfile).toContain(`RUN ${step.join(' ')}\n`);
    expect(dockerfile).toContain('COPY --from=build /app /app\n');
    expect(dockerfile).toContain('ENV NODE_ENV=production\n');

    const started = Date.now();
    copyCheckout(checkout);
    const [ci, build] = BUILD_STEPS;
    const install = spawnSync(ci[0], ci.slice(1), { cwd: checkout, encoding: 'utf8' });
    npmCiOutput = install.stdout + install.stderr;
    if (install.status !== 0) throw new Error(`npm ci failed:\n${npmCiOutput}`);
    const installed = Date.now();
    execFileSync(build[0], [...build.slice(1, -1), app], { cwd: checkout, stdio: 'pipe' });
    console.log(
      `production tree: npm ci ${((installed - started) / 1000).toFixed(0)} s, ` +
        `build and prune ${((Date.now() - installed) / 1000).toFixed(0)} s`,
    );
  }, 600_000);

  afterAll(async () => {
    for (const proc of running.slice().reverse()) await stop(proc);
    await vm?.destroy();
    // A few hundred MB of node_modules: not left behind in the temp dir.
    rmSync(work, { recursive: true, force: true });
  });

  it('installs without engine warnings on the supported Node lines, 22 and 24', () => {
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    const supported = (major === 22 && minor >= 13) || major >= 24;
    // On an older Node, npm says so (dependencies need 22): the warning is the user's cue.
    expect(/EBADENGINE/.test(npmCiOutput)).toBe(!supported);
  });

  it('holds compiled JavaScript and production dependencies only', () => {
    for (const tool of ['tsx', 'typescript', 'vitest', 'vite', 'eslint', 'playwright-core']) {
      expect(existsSync(join(app, 'node_modules', tool)), tool).toBe(false);
    }
    expect(existsSync(join(app, 'node_modules/.bin/tsx'))).toBe(false);
    const sources: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.name === 'node_modules') continue;
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (/\.tsx?$/.test(entry.name)) sources.push(relative(app, path));
      }
    };
    walk(app);
    expect(sources).toEqual([]);
    for (const entry of [
      'server/dist/main.js',
      'broker/dist/main.js',
      // The auth service beside each RabbitMQ node in docker-compose.ha.yml.
      'broker/dist/rabbitmq/main.js',
      'gateway/dist/main.js',
      'dashboard/dist/index.html',
    ])
      expect(existsSync(join(app, entry)), entry).toBe(true);
  });

  it('runs the compose services: a simulated reading is stored and the dashboard is served over HTTPS', async () => {
    const { services } = composeConfig(composeEnv);
    const broker = services.broker!;
    const server = services.server!;
    const gateway = services['simulated-gateway']!;

    const tls = join(work, 'tls');
    mkdirSync(tls);
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost'],
        ...['-addext', 'subjectAltName=DNS:localhost', '-keyout', join(tls, 'privkey.pem')],
        ...['-out', join(tls, 'fullchain.pem')],
      ],
      { stdio: 'ignore' },
    );
    // A private CA, as the compose file documents it: here the certificate is its own.
    cpSync(join(tls, 'fullchain.pem'), join(tls, 'ca.pem'));
    const ca = readFileSync(join(tls, 'ca.pem'));

    // The broker's users file, hashed with the image's own tool as docker-compose.yml says.
    const hash = (password: string) =>
      execFileSync('node', ['broker/dist/hash-password.js'], {
        cwd: app,
        input: password,
        encoding: 'utf8',
      }).trim();
    const usersFile = join(work, 'broker-users.json');
    writeFileSync(
      usersFile,
      JSON.stringify({
        users: [
          {
            username: 'wardline-server',
            role: 'server',
            passwordHash: hash(composeEnv.WARDLINE_MQTT_PASSWORD),
          },
          {
            username: 'larkspur.gw-01',
            role: 'gateway',
            site: 'larkspur',
            gateway: 'gw-01',
            passwordHash: hash(composeEnv.WARDLINE_SIM_GATEWAY_PASSWORD),
          },
        ],
      }),
    );
    const files = { '/etc/wardline/broker-users.json': usersFile, '/etc/wardline/tls': tls };

    vm = await startVictoriaMetrics();
    const [mqttPort, mqttTlsPort, healthPort, httpPort] = await Promise.all(
      [1, 2, 3, 4].map(() => freePort()),
    );

    start(
      'broker',
      broker.command!,
      localEnv(broker, localMounts(broker, files), {
        MQTT_PORT: ['1883', String(mqttPort)],
        MQTT_TLS_HOST: ['0.0.0.0', '127.0.0.1'],
        MQTT_TLS_PORT: ['8883', String(mqttTlsPort)],
        BROKER_HEALTH_HOST: ['0.0.0.0', '127.0.0.1'],
        BROKER_HEALTH_PORT: ['8081', String(healthPort)],
      }),
    );
    await waitUntil(
      () =>
        fetch(`http://127.0.0.1:${healthPort}/health`).then(
          (r) => r.ok,
          () => false,
        ),
      'the broker to be healthy',
      20_000,
    );

    const serverProc = start(
      'server',
      server.command!,
      localEnv(server, localMounts(server, files), {
        HOST: ['0.0.0.0', '127.0.0.1'],
        PORT: ['8080', String(httpPort)],
        WARDLINE_MQTT_URL: ['mqtts://localhost:8883', `mqtts://localhost:${mqttTlsPort}`],
        WARDLINE_INFLUX_URL: ['http://influxdb:8086', vm.url],
      }),
    );
    const baseUrl = `http://127.0.0.1:${httpPort}`;
    const health = await waitUntil(
      async () => {
        const res = await fetch(`${baseUrl}/api/health`).catch(() => null);
        return res?.ok ? ((await res.json()) as { mqtt: { connected: boolean } }) : null;
      },
      `the server to be healthy:\n${serverProc.output}`,
      30_000,
    );
    expect(health.mqtt.connected).toBe(true);

    start(
      'gateway',
      gateway.command!,
      localEnv(gateway, localMounts(gateway, files), {
        WARDLINE_BROKER_URL: ['mqtts://localhost:8883', `mqtts://localhost:${mqttTlsPort}`],
      }),
    );

    // Signed in as the demo nurse: the session cookie is for HTTPS only.
    const login = await fetch(`${baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'nurse', password: demoPasswords.nurse }),
    });
    expect(login.status).toBe(200);
    expect(login.headers.get('set-cookie')).toMatch(/;\s*Secure/i);
    const { token } = (await login.json()) as { token: string };
    const bed = await waitUntil(
      async () => {
        const beds = await apiGet<BedState[]>(baseUrl, '/api/wards/larkspur-house/beds', token);
        return beds.find((b) => b.latest.blood_pressure);
      },
      'a blood pressure reading from the simulated gateway',
      30_000,
    );
    expect(bed.latest.blood_pressure!.observation.kind).toBe('blood_pressure');
    const stored = await waitUntil(
      async () => {
        const series = await exportVictoriaMetrics(vm!.url);
        const bp = series.filter((s) => s.metric.__name__?.startsWith('blood_pressure'));
        return bp.length > 0 ? bp : null;
      },
      'blood pressure in the time-series store',
      20_000,
    );
    expect(stored[0]!.values.length).toBeGreaterThan(0);

    // The compose proxy's own Caddyfile, with this machine's ports and certificate folder.
    const [httpsPort, redirectPort] = await Promise.all([freePort(), freePort()]);
    const caddyfile = readFileSync(join(root, 'deploy/Caddyfile'), 'utf8');
    const local = [
      [':443 {', `:${httpsPort} {`],
      [':80 {', `:${redirectPort} {`],
      ['/etc/wardline/tls/', `${tls}/`],
      ['server:8080', `127.0.0.1:${httpPort}`],
    ].reduce((text, [from, to]) => {
      expect(text).toContain(from);
      return text.replaceAll(from!, to!);
    }, caddyfile);
    const caddyDir = join(work, 'caddy');
    mkdirSync(caddyDir);
    writeFileSync(join(caddyDir, 'Caddyfile'), local);
    const caddy = start(
      'caddy',
      ['caddy', 'run', '--config', join(caddyDir, 'Caddyfile'), '--adapter', 'caddyfile'],
      {
        PATH: process.env.PATH!,
        HOME: caddyDir,
        XDG_DATA_HOME: caddyDir,
        XDG_CONFIG_HOME: caddyDir,
      },
    );
    const page = await waitUntil(
      () => httpsGet(httpsPort, '/', ca).catch(() => null),
      `the proxy to answer:\n${caddy.output}`,
      10_000,
    );
    expect(page.status).toBe(200);
    expect(page.headers['strict-transport-security']).toMatch(/max-age=\d{8,}/);
    expect(page.body).toContain('<div id="root">');
    const script = /<script[^>]+src="([^"]+\.js)"/.exec(page.body)![1]!;
    const asset = await httpsGet(httpsPort, script, ca, { 'accept-encoding': 'gzip' });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-encoding']).toBe('gzip');
    const redirect = await fetch(`http://127.0.0.1:${redirectPort}/wards`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('https://127.0.0.1/wards');

    // A stop (docker stop) ends each Wardline service cleanly.
    await stop(caddy);
    for (const proc of running.filter((p) => p !== caddy).reverse())
      expect(await stop(proc), `${proc.name}:\n${proc.output}`).toBe(0);
  }, 120_000);
});
