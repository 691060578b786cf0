/**
 * Wardline in its highly available shape, every part a real process on 127.0.0.1: a RabbitMQ
 * cluster from Debian's package (the gateways' MQTT, the replicas' quorum queues), Wardline's auth
 * service answering its logins and rights from the broker users file, one PostgreSQL (Debian's
 * binaries) holding the records, several server replicas started as production starts them, and
 * haproxy in front of the replicas for the staff's HTTP and sockets. The fleet's wards are seeded
 * into PostgreSQL before the first replica starts.
 */
import type { FleetGateway, FleetPlan } from '@wardline/firmware-sim';
import { seedDatabaseFile } from '@wardline/server';
import { startPostgres, type RunningPostgres } from '@wardline/server/testing-postgres';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { startHaproxy, type RunningHaproxy } from '../cluster/haproxy.js';
import { shippedRabbitConfig, startRabbitCluster, type RabbitCluster } from '../cluster/rabbitmq.js';
import { freePort } from '../support.js';
import { ManagedProcess, waitForHttp } from './processes.js';
import { FAST_SCRYPT, SERVER_MQTT_USER, STAFF_PASSWORD, writeBrokerUsers } from './system.js';
import { WardWatcher } from './ward-watcher.js';

export interface HaSystemOptions {
  plan: FleetPlan;
  dir: string;
  replicas?: number;
  brokerNodes?: number;
  logLevel?: string;
}

interface Replica {
  readonly process: ManagedProcess;
  readonly port: number;
}

export class HaSystem {
  readonly replicas: Replica[] = [];
  readonly serverMqttPassword = randomBytes(16).toString('base64url');
  passwords = new Map<string, string>();
  postgres?: RunningPostgres;
  databaseUrl = '';
  rabbit!: RabbitCluster;
  authService!: ManagedProcess;
  balancer!: RunningHaproxy;
  #records: pg.Pool | null = null;

  private constructor(readonly options: HaSystemOptions) {}

  static async start(options: HaSystemOptions): Promise<HaSystem> {
    mkdirSync(options.dir, { recursive: true });
    const system = new HaSystem(options);
    try {
      await system.#start();
    } catch (err) {
      await system.stop();
      throw err;
    }
    return system;
  }

  async #start(): Promise<void> {
    const { dir, plan } = this.options;
    const logLevel = this.options.logLevel ?? 'warn';
    const usersFile = join(dir, 'broker-users.json');
    this.passwords = await writeBrokerUsers(usersFile, plan, this.serverMqttPassword);

    const authPort = await freePort();
    this.authService = new ManagedProcess(
      'rabbitmq-auth',
      'broker/src/rabbitmq/main.ts',
      () => ({
        WARDLINE_BROKER_USERS_FILE: usersFile,
        WARDLINE_RABBITMQ_AUTH_HOST: '127.0.0.1',
        WARDLINE_RABBITMQ_AUTH_PORT: String(authPort),
        LOG_LEVEL: logLevel,
      }),
      join(dir, 'rabbitmq-auth.log'),
    );
    this.authService.start();
    const authUrl = `http://127.0.0.1:${authPort}`;
    const replicas = this.options.replicas ?? 3;
    // No replica: a bare broker cluster (connection benchmarks), no records to keep.
    const [, postgres] = await Promise.all([
      waitForHttp(`${authUrl}/health`, 60_000, this.authService),
      replicas > 0 ? startPostgres() : undefined,
    ]);
    if (postgres) {
      this.postgres = postgres;
      this.databaseUrl = await postgres.createDatabase();
      await seedDatabaseFile(this.databaseUrl, plan.wards, STAFF_PASSWORD, FAST_SCRYPT);
    }
    this.rabbit = await startRabbitCluster({
      nodes: this.options.brokerNodes ?? 3,
      ...shippedRabbitConfig(authUrl),
    });
    if (replicas === 0) return;

    const amqpUrls = this.rabbit.nodes.map((n) => `amqp://127.0.0.1:${n.amqpPort}`).join(',');
    for (let i = 0; i < replicas; i++) {
      const port = await freePort();
      const proc = new ManagedProcess(
        `server-${i + 1}`,
        'server/src/main.ts',
        () => ({
          HOST: '127.0.0.1',
          PORT: String(port),
          WARDLINE_DATABASE_URL: this.databaseUrl,
          WARDLINE_MQTT_URL: this.mqttUrls[0]!,
          WARDLINE_AMQP_URLS: amqpUrls,
          WARDLINE_MQTT_USERNAME: SERVER_MQTT_USER,
          WARDLINE_MQTT_PASSWORD: this.serverMqttPassword,
          WARDLINE_MQTT_CLIENT_ID: `wardline-server-${i + 1}`,
          WARDLINE_DB_PATH: join(dir, `unused-${i + 1}.db`),
          LOG_LEVEL: logLevel,
        }),
        join(dir, `server-${i + 1}.log`),
      );
      this.replicas.push({ process: proc, port });
    }
    // The first migrates and finds the seed; the others start together after it.
    await this.startReplica(0);
    await Promise.all(this.replicas.slice(1).map((_, i) => this.startReplica(i + 1)));
    this.balancer = await startHaproxy(this.replicas.map((r) => ({ host: '127.0.0.1', port: r.port })));
  }

  get mqttUrls(): string[] {
    return this.rabbit.nodes.map((n) => n.mqttUrl);
  }

  /** Staff come in through the load balancer, as they would in production. */
  get httpUrl(): string {
    return this.balancer.url;
  }

  gatewayPassword = (gateway: FleetGateway): string => {
    const password = this.passwords.get(gateway.username);
    if (!password) throw new Error(`no password for ${gateway.username}`);
    return password;
  };

  async startReplica(index: number): Promise<void> {
    const replica = this.replicas[index]!;
    replica.process.start();
    await waitForHttp(
      `http://127.0.0.1:${replica.port}/api/health`,
      Number(process.env.HA_WAIT ?? 120_000),
      replica.process,
    );
  }

  /** A nurse's socket through the load balancer, joined to every ward of the fleet. */
  async watchWards(): Promise<WardWatcher> {
    const watcher = new WardWatcher(
      this.httpUrl,
      await this.signIn(),
      this.options.plan.wards.map((w) => w.id),
    );
    await watcher.start();
    return watcher;
  }

  async signIn(): Promise<string> {
    const res = await fetch(`${this.httpUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'nurse', password: STAFF_PASSWORD }),
    });
    if (!res.ok) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { token: string }).token;
  }

  /** The replica holding the most staff sockets (a nurse's dashboard came in through the balancer). */
  async replicaWithSockets(): Promise<number> {
    const counts = await Promise.all(
      this.replicas.map(async (r) => {
        const text = await (await fetch(`http://127.0.0.1:${r.port}/metrics`)).text();
        return Number(/^wardline_socketio_connected_sockets\{role="nurse"\} (\d+)/m.exec(text)?.[1] ?? 0);
      }),
    );
    return counts.indexOf(Math.max(...counts));
  }

  /** Reads the records from outside the replicas (counts and sums as numbers). */
  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    if (!this.#records) {
      const asNumber = (value: string) => Number(value);
      this.#records = new pg.Pool({
        connectionString: this.databaseUrl,
        max: 2,
        types: {
          getTypeParser: (oid: number, format?: 'text' | 'binary') =>
            oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC
              ? asNumber
              : pg.types.getTypeParser(oid, format),
        } as pg.CustomTypesConfig,
      });
      this.#records.on('error', () => undefined);
    }
    return (await this.#records.query(sql, params)).rows as T[];
  }

  async stop(): Promise<void> {
    await this.#records?.end().catch(() => undefined);
    await this.balancer?.stop();
    await Promise.all(this.replicas.map((r) => r.process.stop()));
    await this.rabbit?.stop();
    await this.authService?.stop();
    await this.postgres?.destroy();
  }
}
