/**
 * The whole Wardline back end for benchmarks and fault tests: the broker and the server as
 * separate processes (as `npm start` and docker-compose run them), the server's database
 * seeded with a simulated fleet, every gateway with its own random password. Ports are chosen
 * by the OS; everything lives in one directory.
 */
import { hashPassword, type ScryptCost, type UserEntry } from '@wardline/broker';
import type { FleetGateway, FleetPlan } from '@wardline/firmware-sim';
import { seedDatabaseFile } from '@wardline/server';
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../support.js';
import { ManagedProcess, waitForHttp } from './processes.js';
import { WardWatcher } from './ward-watcher.js';

/** The cheap scrypt cost the tests use; the bench reports what the production cost changes. */
export const FAST_SCRYPT: ScryptCost = { N: 2 ** 10, r: 8, p: 1 };
export const STAFF_PASSWORD = 'bench-staff-password';
export const SERVER_MQTT_USER = 'wardline-server';

/**
 * The broker's users file for a fleet: the server's user and every gateway with a random password
 * of its own. Returns the gateways' passwords by user name.
 */
export async function writeBrokerUsers(
  path: string,
  plan: FleetPlan,
  serverPassword: string,
): Promise<Map<string, string>> {
  const passwords = new Map<string, string>();
  const users: UserEntry[] = [
    {
      username: SERVER_MQTT_USER,
      role: 'server',
      passwordHash: await hashPassword(serverPassword, FAST_SCRYPT),
    },
  ];
  for (let i = 0; i < plan.gateways.length; i += 512) {
    const chunk = plan.gateways.slice(i, i + 512);
    const entries = await Promise.all(
      chunk.map(async (g): Promise<UserEntry> => {
        const password = randomBytes(12).toString('base64url');
        passwords.set(g.username, password);
        return {
          username: g.username,
          role: 'gateway',
          site: g.site,
          gateway: g.gateway,
          passwordHash: await hashPassword(password, FAST_SCRYPT),
        };
      }),
    );
    users.push(...entries);
  }
  writeFileSync(path, JSON.stringify({ users }), { mode: 0o600 });
  return passwords;
}

export interface SystemOptions {
  plan: FleetPlan;
  dir: string;
  /** Extra environment for the server (InfluxDB, alerting). */
  serverEnv?: Record<string, string>;
  /** Register the fleet's wards, beds, patients and devices on the server. Default true. */
  seed?: boolean;
  /** Start the server at all (a bare broker for baselines). Default true. */
  server?: boolean;
  logLevel?: string;
  /** Extra node flags for the server (heap size, profiling). */
  serverNodeArgs?: string[];
  /** Extra node flags for the broker (profiling). */
  brokerNodeArgs?: string[];
}

export class WardlineSystem {
  readonly broker: ManagedProcess;
  readonly server: ManagedProcess;
  readonly passwords = new Map<string, string>();
  readonly serverMqttPassword = randomBytes(16).toString('base64url');
  mqttPort = 0;
  httpPort = 0;
  brokerHealthPort = 0;

  private constructor(readonly options: SystemOptions) {
    const { dir } = options;
    const logLevel = options.logLevel ?? 'warn';
    this.broker = new ManagedProcess(
      'broker',
      'broker/src/main.ts',
      () => ({
        MQTT_HOST: '127.0.0.1',
        MQTT_PORT: String(this.mqttPort),
        BROKER_HEALTH_HOST: '127.0.0.1',
        BROKER_HEALTH_PORT: String(this.brokerHealthPort),
        WARDLINE_BROKER_USERS_FILE: join(dir, 'broker-users.json'),
        WARDLINE_BROKER_DATA_DIR: join(dir, 'broker-data'),
        LOG_LEVEL: logLevel,
      }),
      join(dir, 'broker.log'),
      ['--max-old-space-size=8192', ...(options.brokerNodeArgs ?? [])],
    );
    this.server = new ManagedProcess(
      'server',
      'server/src/main.ts',
      () => ({
        HOST: '127.0.0.1',
        PORT: String(this.httpPort),
        WARDLINE_MQTT_URL: this.brokerUrl,
        WARDLINE_MQTT_USERNAME: SERVER_MQTT_USER,
        WARDLINE_MQTT_PASSWORD: this.serverMqttPassword,
        WARDLINE_DB_PATH: this.databasePath,
        LOG_LEVEL: logLevel,
        ...options.serverEnv,
      }),
      join(dir, 'server.log'),
      ['--max-old-space-size=8192', ...(options.serverNodeArgs ?? [])],
    );
  }

  get brokerUrl(): string {
    return `mqtt://127.0.0.1:${this.mqttPort}`;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get databasePath(): string {
    return join(this.options.dir, 'server', 'wardline.db');
  }

  gatewayPassword = (gateway: FleetGateway): string => {
    const password = this.passwords.get(gateway.username);
    if (!password) throw new Error(`no password for ${gateway.username}`);
    return password;
  };

  static async start(options: SystemOptions): Promise<WardlineSystem> {
    mkdirSync(options.dir, { recursive: true });
    const system = new WardlineSystem(options);
    [system.mqttPort, system.httpPort, system.brokerHealthPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    await system.#writeUsers();
    if (options.server !== false && options.seed !== false) {
      await seedDatabaseFile(system.databasePath, options.plan.wards, STAFF_PASSWORD, FAST_SCRYPT);
    }
    try {
      await system.startBroker();
      if (options.server !== false) await system.startServer();
    } catch (err) {
      // A process that did start must not outlive the failure (e.g. a port taken meanwhile).
      await system.stop();
      throw err;
    }
    return system;
  }

  async #writeUsers(): Promise<void> {
    const passwords = await writeBrokerUsers(
      join(this.options.dir, 'broker-users.json'),
      this.options.plan,
      this.serverMqttPassword,
    );
    for (const [username, password] of passwords) this.passwords.set(username, password);
  }

  async startBroker(): Promise<void> {
    this.broker.start();
    await waitForHttp(`http://127.0.0.1:${this.brokerHealthPort}/health`, 120_000, this.broker);
  }

  async startServer(): Promise<void> {
    this.server.start();
    await waitForHttp(`${this.httpUrl}/api/health`, 120_000, this.server);
  }

  /** A nurse's socket joined to every ward of the fleet, started. */
  async watchWards(): Promise<WardWatcher> {
    const watcher = new WardWatcher(
      this.httpUrl,
      await this.signIn('nurse'),
      this.options.plan.wards.map((w) => w.id),
    );
    await watcher.start();
    return watcher;
  }

  /** Reads the server's database from outside its process, read-only. */
  query<T>(sql: string, ...params: unknown[]): T[] {
    const db = new Database(this.databasePath, { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  }

  /** Readings stored by the server. */
  storedReadings(): number {
    return this.query<{ n: number }>('SELECT count(*) AS n FROM observations')[0]?.n ?? 0;
  }

  /** A staff session token (nurse or admin), for REST and socket.io. */
  async signIn(username: 'nurse' | 'admin' = 'nurse'): Promise<string> {
    const res = await fetch(`${this.httpUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: STAFF_PASSWORD }),
    });
    if (!res.ok) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { token: string }).token;
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.broker.stop();
  }
}
