/**
 * Gateway configuration: environment first, command-line flags override. Secrets come from the
 * environment only: the MQTT password is WARDLINE_GATEWAY_PASSWORD and there is no flag for it
 * (command lines are visible to every user of the machine).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isTopicSegment, normalizeUuid } from '@wardline/protocol';
import { BrokerUrlError, isTls, parseBrokerUrls, splitBrokerUrls } from './broker-urls.js';
import { loadProvisioningFile, ProvisioningError } from './provisioning.js';

export interface GatewayConfig {
  site: string;
  gateway: string;
  broker: {
    /** Every broker, in the order tried: the gateway fails over from one to the next. */
    urls: string[];
    /** The first of `urls` (what a single-broker set-up reads). */
    url: string;
    /** PEM CA file for mqtts:// with a private CA. */
    caPath?: string;
    /** Default "{site}.{gateway}", the broker's gateway user naming. */
    username: string;
    password?: string;
    clientId?: string;
  };
  /** Simulator mode: simulated devices behind a simulated noble binding, no radio needed. */
  simulate: boolean;
  /**
   * Devices to read: BLE addresses (aa:bb:cc:dd:ee:ff) and/or service UUIDs (any spelling).
   * Empty: every device advertising a supported profile.
   */
  allow: { addresses: string[]; services: string[] };
  simulator: {
    /** undefined: the demo fleet's residents for this site/gateway if it has them, else 4. */
    residents?: number;
    seed: number;
    timeScale: number;
    bpIntervalMinutes: number;
    heartbeatSeconds: number;
  };
  statusIntervalSeconds: number;
  outboxCapacity: number;
  /** SQLite outbox file: --outbox-path, else {WARDLINE_OUTBOX_DIR or ./data}/outbox-{site}-{gateway}.db */
  outboxPath: string;
  /** Local health endpoint (GET /health on 127.0.0.1); undefined: none. */
  healthPort?: number;
  /** Replay rate after an outage, routine observations per second. */
  replayPerSecond: number;
  logLevel: string;
  /** The kit's devices, from a provisioning file: what the simulator plays and what is read. */
  devices?: { id: string; model: string }[];
}

export type ConfigResult =
  { kind: 'config'; config: GatewayConfig; warnings: string[] } | { kind: 'help'; text: string };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const HELP_TEXT = `Wardline home gateway: reads BLE health devices and publishes their readings over MQTT.

Usage: npm start -w @wardline/gateway -- [options]
       tsx gateway/src/main.ts --simulate [options]

Options (each also settable by the environment variable shown; flags win):
  --provisioning <file>          the kit's provisioning file from the server: broker URL(s), user name,
                                 secret, site, gateway and devices (chmod 600)
                                                                             WARDLINE_PROVISIONING_FILE
  --simulate                     read simulated devices (firmware-sim)       WARDLINE_SIMULATE=1
  --site <code>                  site code, [a-z0-9-]       (larkspur)       WARDLINE_SITE
  --gateway <code>               gateway code, [a-z0-9-]    (gw-01)          WARDLINE_GATEWAY
  --broker-url <url>[,<url>...]  mqtt://, mqtts://, ws:// or wss:// (mqtt://127.0.0.1:1883); repeat
                                 it or give a comma list for several brokers: the gateway uses one
                                 at a time and moves to the next when it cannot reach it
                                                                             WARDLINE_BROKER_URLS
                                                                             (or WARDLINE_BROKER_URL)
  --broker-ca <path>             PEM CA file for mqtts:// and wss://         WARDLINE_BROKER_CA
  --username <name>              MQTT user ({site}.{gateway})                WARDLINE_GATEWAY_USERNAME
  (password)                     environment only                            WARDLINE_GATEWAY_PASSWORD
  --client-id <id>               MQTT client id (the user name)              WARDLINE_GATEWAY_CLIENT_ID
  --allow <list>                 comma-separated BLE addresses and/or service UUIDs to read;
                                 default: any device with a supported profile WARDLINE_ALLOW
  --status-interval <seconds>    device status period (30)                   WARDLINE_STATUS_INTERVAL_SECONDS
  --outbox-path <file>           durable outbox (SQLite, WAL, fsync per reading)
                                 ($WARDLINE_OUTBOX_DIR or ./data)/outbox-{site}-{gateway}.db
                                                                             WARDLINE_OUTBOX_PATH
  --outbox-capacity <n>          observations kept while offline (100000: about 60 MB on disk,
                                 a week for 10 devices at one reading a minute) WARDLINE_OUTBOX_CAPACITY
  --replay-rate <n>              backlog observations sent per second after an outage (2000)
                                                                             WARDLINE_REPLAY_RATE
  --health-port <port>           GET http://127.0.0.1:<port>/health: status JSON (off)
                                                                             WARDLINE_HEALTH_PORT
  --log-level <level>            pino level (info)                           LOG_LEVEL

Without --simulate the gateway reads real devices through noble (@abandonware/noble) and needs a
Bluetooth adapter; without one it says so and exits (use --simulate).

Simulator:
  --residents <n>                residents, each with a BP cuff and a falls sensor; default: the
                                 demo fleet's residents for this site/gateway, else 4
                                                                             WARDLINE_SIM_RESIDENTS
  --seed <n>                     random seed (1)                             WARDLINE_SIM_SEED
  --time-scale <x>               scenario time per real time (8640: a day every 10 s)
                                                                             WARDLINE_SIM_TIME_SCALE
  --bp-interval <minutes>        cuff reading period in scenario time (720)  WARDLINE_SIM_BP_INTERVAL_MINUTES
  --heartbeat <seconds>          falls sensor heartbeat, real time (60)      WARDLINE_SIM_HEARTBEAT_SECONDS

  -h, --help                     this text
`;

type Env = Record<string, string | undefined>;

function number(
  name: string,
  raw: string | undefined,
  fallback: number,
  { min, integer }: { min: number; integer: boolean },
): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new ConfigError(
      `${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got "${raw.slice(0, 32)}"`,
    );
  }
  return value;
}

function flag(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function parseConfig(argv: readonly string[], env: Env): ConfigResult {
  if (argv.some((a) => a === '--password' || a.startsWith('--password='))) {
    throw new ConfigError('there is no --password flag: set WARDLINE_GATEWAY_PASSWORD in the environment');
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        provisioning: { type: 'string' },
        simulate: { type: 'boolean' },
        site: { type: 'string' },
        gateway: { type: 'string' },
        'broker-url': { type: 'string', multiple: true },
        'broker-ca': { type: 'string' },
        username: { type: 'string' },
        'client-id': { type: 'string' },
        'status-interval': { type: 'string' },
        'outbox-capacity': { type: 'string' },
        'outbox-path': { type: 'string' },
        'replay-rate': { type: 'string' },
        'health-port': { type: 'string' },
        allow: { type: 'string' },
        'log-level': { type: 'string' },
        residents: { type: 'string' },
        seed: { type: 'string' },
        'time-scale': { type: 'string' },
        'bp-interval': { type: 'string' },
        heartbeat: { type: 'string' },
      },
    });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message} (see --help)`);
  }
  const f = parsed.values;
  if (f.help) return { kind: 'help', text: HELP_TEXT };

  const warnings: string[] = [];
  const provisioningPath = f.provisioning ?? (env.WARDLINE_PROVISIONING_FILE || undefined);
  let provisioned: ReturnType<typeof loadProvisioningFile>['file'] | undefined;
  if (provisioningPath !== undefined) {
    try {
      const loaded = loadProvisioningFile(provisioningPath);
      provisioned = loaded.file;
      warnings.push(...loaded.warnings);
    } catch (err) {
      if (err instanceof ProvisioningError) throw new ConfigError(err.message);
      throw err;
    }
    // The file is the kit's identity: a flag saying otherwise is a mistake, not an override.
    for (const [flagName, value, fromFile] of [
      ['--site', f.site, provisioned.site],
      ['--gateway', f.gateway, provisioned.gateway],
      ['--username', f.username, provisioned.username],
      [
        '--broker-url',
        f['broker-url'] && splitBrokerUrls(f['broker-url']).join(','),
        (provisioned.mqttUrls ?? [provisioned.mqttUrl]).join(','),
      ],
    ] as const) {
      if (value !== undefined && value !== fromFile) {
        throw new ConfigError(`${flagName} contradicts the provisioning file: leave it out`);
      }
    }
    if (env.WARDLINE_GATEWAY_PASSWORD) {
      warnings.push('WARDLINE_GATEWAY_PASSWORD is ignored: the provisioning file holds the secret');
    }
  }
  const site = provisioned?.site ?? f.site ?? env.WARDLINE_SITE ?? 'larkspur';
  const gateway = provisioned?.gateway ?? f.gateway ?? env.WARDLINE_GATEWAY ?? 'gw-01';
  for (const [name, value] of [
    ['site', site],
    ['gateway', gateway],
  ] as const) {
    if (!isTopicSegment(value)) {
      throw new ConfigError(`${name} code "${value.slice(0, 64)}" must match [a-z0-9][a-z0-9-]{0,62}`);
    }
  }

  const urls = brokerUrlList(provisioned, f['broker-url'], env);
  let endpoints;
  try {
    endpoints = parseBrokerUrls(urls);
  } catch (err) {
    if (err instanceof BrokerUrlError) throw new ConfigError(err.message);
    throw err;
  }
  const caPath = f['broker-ca'] ?? env.WARDLINE_BROKER_CA;
  if (caPath && !endpoints.some(isTls)) {
    throw new ConfigError('a broker CA only makes sense with an mqtts:// or wss:// URL');
  }
  const password = provisioned?.password ?? (env.WARDLINE_GATEWAY_PASSWORD || undefined);
  if (password === undefined)
    warnings.push('WARDLINE_GATEWAY_PASSWORD is not set: the broker will likely refuse the connection');
  for (const e of endpoints) {
    if (password !== undefined && !isTls(e) && !LOOPBACK.has(e.host)) {
      warnings.push(`the MQTT password will cross the network unencrypted to ${e.label}: use mqtts://`);
    }
  }
  const clientId = f['client-id'] ?? env.WARDLINE_GATEWAY_CLIENT_ID;

  const residentsRaw = f.residents ?? env.WARDLINE_SIM_RESIDENTS;
  const outboxPath =
    f['outbox-path'] ??
    (env.WARDLINE_OUTBOX_PATH || join(env.WARDLINE_OUTBOX_DIR || 'data', `outbox-${site}-${gateway}.db`));
  const allow = parseAllowList(
    f.allow ?? env.WARDLINE_ALLOW ?? provisioned?.devices.map((d) => d.id).join(',') ?? '',
  );
  const healthRaw = f['health-port'] ?? env.WARDLINE_HEALTH_PORT;

  const config: GatewayConfig = {
    site,
    gateway,
    broker: {
      urls,
      url: urls[0]!,
      username: provisioned?.username ?? f.username ?? env.WARDLINE_GATEWAY_USERNAME ?? `${site}.${gateway}`,
      ...(caPath ? { caPath } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(clientId ? { clientId } : {}),
    },
    simulate: f.simulate === true || flag(env.WARDLINE_SIMULATE),
    simulator: {
      ...(residentsRaw !== undefined && residentsRaw !== ''
        ? { residents: number('residents', residentsRaw, 4, { min: 0, integer: true }) }
        : {}),
      seed: number('seed', f.seed ?? env.WARDLINE_SIM_SEED, 1, { min: 0, integer: true }),
      timeScale: number('time scale', f['time-scale'] ?? env.WARDLINE_SIM_TIME_SCALE, 8640, {
        min: 0.001,
        integer: false,
      }),
      bpIntervalMinutes: number(
        'BP interval',
        f['bp-interval'] ?? env.WARDLINE_SIM_BP_INTERVAL_MINUTES,
        720,
        {
          min: 0.01,
          integer: false,
        },
      ),
      heartbeatSeconds: number('heartbeat', f.heartbeat ?? env.WARDLINE_SIM_HEARTBEAT_SECONDS, 60, {
        min: 1,
        integer: false,
      }),
    },
    statusIntervalSeconds: number(
      'status interval',
      f['status-interval'] ?? env.WARDLINE_STATUS_INTERVAL_SECONDS,
      30,
      { min: 1, integer: false },
    ),
    outboxCapacity: number('outbox capacity', f['outbox-capacity'] ?? env.WARDLINE_OUTBOX_CAPACITY, 100_000, {
      min: 1,
      integer: true,
    }),
    outboxPath,
    allow,
    replayPerSecond: number('replay rate', f['replay-rate'] ?? env.WARDLINE_REPLAY_RATE, 2000, {
      min: 1,
      integer: false,
    }),
    ...(healthRaw !== undefined && healthRaw !== ''
      ? { healthPort: number('health port', healthRaw, 0, { min: 0, integer: true }) }
      : {}),
    logLevel: f['log-level'] ?? env.LOG_LEVEL ?? 'info',
    ...(provisioned ? { devices: provisioned.devices } : {}),
  };
  return { kind: 'config', config, warnings };
}

/**
 * Where the broker list comes from: the provisioning file (`mqttUrls`, else `mqttUrl`), else the
 * --broker-url flags, else WARDLINE_BROKER_URLS or WARDLINE_BROKER_URL (never two different lists).
 */
function brokerUrlList(
  provisioned: { mqttUrl: string; mqttUrls?: string[] } | undefined,
  flags: string[] | undefined,
  env: Env,
): string[] {
  if (provisioned) return provisioned.mqttUrls ?? [provisioned.mqttUrl];
  if (flags !== undefined) return splitBrokerUrls(flags);
  const list = env.WARDLINE_BROKER_URLS || undefined;
  const single = env.WARDLINE_BROKER_URL || undefined;
  if (list !== undefined && single !== undefined && splitBrokerUrls([list])[0] !== single.trim()) {
    throw new ConfigError(
      'WARDLINE_BROKER_URLS and WARDLINE_BROKER_URL disagree: set WARDLINE_BROKER_URLS alone (a comma list)',
    );
  }
  return splitBrokerUrls([list ?? single ?? 'mqtt://127.0.0.1:1883']);
}

/** The broker URLs without anything secret, for logs. */
export function describeBroker(config: GatewayConfig): Record<string, unknown> {
  const urls = parseBrokerUrls(config.broker.urls).map((e) => e.label);
  return {
    url: urls[0],
    ...(urls.length > 1 ? { failover: urls.slice(1) } : {}),
    username: config.broker.username,
    password: config.broker.password ? 'set' : 'not set',
    ca: config.broker.caPath ? 'set' : 'system',
  };
}

const ADDRESS = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** "aa:bb:..,1810,55e30001-..." -> addresses (lower case) and service UUIDs (noble form). */
export function parseAllowList(raw: string): { addresses: string[]; services: string[] } {
  const addresses: string[] = [];
  const services: string[] = [];
  for (const item of raw.split(',').map((s) => s.trim().toLowerCase())) {
    if (item === '') continue;
    if (ADDRESS.test(item)) {
      addresses.push(item);
      continue;
    }
    try {
      services.push(normalizeUuid(item));
    } catch {
      throw new ConfigError(`allow-list entry "${item.slice(0, 64)}" is neither a BLE address nor a UUID`);
    }
  }
  return { addresses, services };
}
