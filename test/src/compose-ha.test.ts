/**
 * docker-compose.ha.yml, the highly available shape, cannot run here (no engine); what can be
 * checked is compose's own rendering of it, haproxy's own check of its configuration, and that the
 * pieces name each other consistently: every replica on the shared database and every broker
 * node, every node with Wardline's auth service beside it, nothing but TLS published.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeConfig, composeSecrets, type ComposeService } from './compose.js';

const root = resolve(import.meta.dirname, '../..');
const FILE = 'docker-compose.ha.yml';

const haSecrets = {
  ...composeSecrets,
  POSTGRES_PASSWORD: 'a-made-up-database-password',
  RABBITMQ_ERLANG_COOKIE: 'a-made-up-erlang-cookie-secret',
  WARDLINE_MQTT_HOSTNAME_1: 'mqtt1.wardline.example.org',
  WARDLINE_MQTT_HOSTNAME_2: 'mqtt2.wardline.example.org',
  WARDLINE_MQTT_HOSTNAME_3: 'mqtt3.wardline.example.org',
};

const NODES = ['rabbitmq1', 'rabbitmq2', 'rabbitmq3'];
const REPLICAS = ['server1', 'server2', 'server3'];

const published = (service: ComposeService) =>
  (service.ports ?? []).map((p) => ({ host: Number(p.published), container: Number(p.target) }));

describe('docker-compose.ha.yml', () => {
  const { services, volumes } = composeConfig(haSecrets, FILE);

  it('is a valid compose file: three broker nodes each with its auth service, three replicas, a balancer', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        ...NODES,
        ...NODES.map((n) => `${n}-auth`),
        ...REPLICAS,
        'balancer',
        'postgres',
        'influxdb',
        'proxy',
      ].sort(),
    );
    for (const name of [...NODES, ...REPLICAS, 'postgres', 'influxdb'])
      expect(services[name]!.healthcheck, name).toBeDefined();
    expect(Object.keys(volumes)).toEqual(
      expect.arrayContaining(['postgres-data', 'rabbitmq1-data', 'rabbitmq2-data', 'rabbitmq3-data']),
    );
  });

  it('refuses to start without each secret it needs', () => {
    for (const secret of ['POSTGRES_PASSWORD', 'RABBITMQ_ERLANG_COOKIE', 'WARDLINE_MQTT_PASSWORD']) {
      const env: Record<string, string> = { ...haSecrets };
      delete env[secret];
      expect(() => composeConfig(env, FILE), secret).toThrow(new RegExp(secret));
    }
  });

  it('runs every replica on the shared PostgreSQL and every broker node, each under its own client id', () => {
    const ids = new Set<string>();
    for (const name of REPLICAS) {
      const env = services[name]!.environment!;
      expect(env.WARDLINE_DATABASE_URL).toBe(
        `postgres://wardline:${haSecrets.POSTGRES_PASSWORD}@postgres:5432/wardline`,
      );
      expect(env.WARDLINE_AMQP_URLS!.split(',')).toEqual(NODES.map((n) => `amqp://${n}:5672`));
      expect(env.WARDLINE_GATEWAY_MQTT_URLS!.split(',')).toEqual([
        `mqtts://${haSecrets.WARDLINE_MQTT_HOSTNAME_1}:8883`,
        `mqtts://${haSecrets.WARDLINE_MQTT_HOSTNAME_2}:8884`,
        `mqtts://${haSecrets.WARDLINE_MQTT_HOSTNAME_3}:8885`,
      ]);
      expect(services[name]!.command).toEqual(['node', 'server/dist/main.js']);
      ids.add(env.WARDLINE_MQTT_CLIENT_ID!);
    }
    expect(ids.size).toBe(3);
  });

  it('gives each broker node the shipped configuration, the cluster’s, and an auth service on its loopback', () => {
    const cluster = readFileSync(resolve(root, 'deploy/ha/rabbitmq-cluster.conf'), 'utf8');
    const shipped = readFileSync(resolve(root, 'broker/rabbitmq/rabbitmq.conf'), 'utf8');
    const authPort = /^auth_http\.user_path = http:\/\/127\.0\.0\.1:(\d+)\//m.exec(shipped)?.[1];
    for (const node of NODES) {
      const service = services[node]!;
      expect(service.hostname).toBe(node);
      expect(cluster).toContain(`= rabbit@${node}\n`);
      expect(service.volumes).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /broker\/rabbitmq\/rabbitmq\.conf:\/etc\/rabbitmq\/conf\.d\/20-wardline\.conf:ro$/,
          ),
          expect.stringMatching(
            /deploy\/ha\/rabbitmq-cluster\.conf:\/etc\/rabbitmq\/conf\.d\/30-cluster\.conf:ro$/,
          ),
          expect.stringMatching(/broker\/rabbitmq\/enabled_plugins:\/etc\/rabbitmq\/enabled_plugins:ro$/),
        ]),
      );
      const auth = services[`${node}-auth`]!;
      expect(auth.network_mode).toBe(`service:${node}`);
      expect(auth.command).toEqual(['node', 'broker/dist/rabbitmq/main.js']);
      expect(auth.environment).toMatchObject({
        WARDLINE_RABBITMQ_AUTH_HOST: '127.0.0.1',
        WARDLINE_RABBITMQ_AUTH_PORT: authPort,
        WARDLINE_CREDENTIALS_URL: 'http://server:8080/api/internal/broker/credentials',
      });
    }
  });

  it('publishes HTTPS and MQTT over TLS only: no plain MQTT, AMQP, database or replica port', () => {
    const everyPublished = Object.values(services).flatMap(published);
    expect(everyPublished.map((p) => p.host).sort()).toEqual([443, 80, 8883, 8884, 8885].sort());
    for (const node of NODES)
      expect(published(services[node]!)).toEqual([expect.objectContaining({ container: 8883 })]);
    const cluster = readFileSync(resolve(root, 'deploy/ha/rabbitmq-cluster.conf'), 'utf8');
    expect(cluster).toMatch(/^mqtt\.listeners\.ssl\.default = 8883$/m);
  });

  it('balances over exactly the replicas, by the name the web proxy and the auth services use', () => {
    expect(services.balancer!.networks?.default?.aliases).toEqual(['server']);
    const config = readFileSync(resolve(root, 'deploy/ha/haproxy.cfg'), 'utf8');
    const backends = [...config.matchAll(/^\s*server \S+ (\S+):(\d+) /gm)].map((m) => `${m[1]}:${m[2]}`);
    expect(backends).toEqual(REPLICAS.map((r) => `${r}:${services[r]!.environment!.PORT}`));
    const caddy = readFileSync(resolve(root, 'deploy/Caddyfile'), 'utf8');
    expect(caddy).toMatch(/reverse_proxy server:8080/);
    // haproxy's own verdict on the file (the replicas' names do not resolve here; it starts anyway).
    const check = spawnSync('haproxy', ['-c', '-f', resolve(root, 'deploy/ha/haproxy.cfg')], {
      encoding: 'utf8',
    });
    expect(check.status, check.stderr).toBe(0);
  });
});
