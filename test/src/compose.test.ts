/**
 * docker-compose.yml cannot run here (no engine); its validity, its secrets policy and what it
 * exposes can be checked on compose's own rendering of it, and the proxy's Caddyfile by Caddy's
 * own adapter.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { HUB_ENV, HUB_NODE_FLAGS } from '@wardline/gateway';
import { describe, expect, it } from 'vitest';
import { composeConfig, composeSecrets, type ComposeService } from './compose.js';

const root = resolve(import.meta.dirname, '../..');

/** Host ports a service publishes, and the container ports behind them. */
const published = (service: ComposeService) =>
  (service.ports ?? []).map((p) => ({ host: Number(p.published), container: Number(p.target) }));

function composeCheck(env: Record<string, string>) {
  const { PATH, HOME } = process.env;
  return spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], {
    cwd: root,
    env: { PATH, HOME, ...env },
    encoding: 'utf8',
  });
}

describe('docker-compose.yml', () => {
  const { services, volumes } = composeConfig();

  it('is a valid compose file with its services, volumes and health checks', () => {
    expect(composeCheck(composeSecrets).status).toBe(0);
    expect(Object.keys(services).sort()).toEqual(
      ['broker', 'influxdb', 'proxy', 'server', 'simulated-gateway'].sort(),
    );
    expect(services.influxdb!.image).toBe('influxdb:2');
    for (const name of ['broker', 'server', 'influxdb']) expect(services[name]!.healthcheck).toBeDefined();
    expect(Object.keys(volumes)).toEqual(
      expect.arrayContaining(['broker-data', 'server-data', 'influxdb-data', 'gateway-data']),
    );
  });

  it('runs compiled JavaScript with plain node', () => {
    expect(services.broker!.command).toEqual(['node', 'broker/dist/main.js']);
    expect(services.server!.command).toEqual(['node', 'server/dist/main.js']);
    // The gateway with the hub's flags and environment, as `npm start -w @wardline/gateway` runs it.
    const gateway = services['simulated-gateway']!;
    expect(gateway.command).toEqual(['node', ...HUB_NODE_FLAGS, 'gateway/dist/main.js', '--simulate']);
    expect(gateway.environment).toMatchObject(HUB_ENV);
  });

  it('publishes MQTT over TLS only, and plain MQTT nowhere', () => {
    const broker = services.broker!;
    expect(published(broker)).toEqual([{ host: 8883, container: 8883 }]);
    const everyPublished = Object.values(services).flatMap(published);
    expect(everyPublished.map((p) => p.container)).not.toContain(1883);
    expect(everyPublished.map((p) => p.host)).not.toContain(1883);
    // The plain listener cannot be reached from another container either.
    expect(broker.environment).toMatchObject({
      MQTT_HOST: '127.0.0.1',
      MQTT_TLS_HOST: '0.0.0.0',
      MQTT_TLS_PORT: '8883',
      MQTT_TLS_CERT: '/etc/wardline/tls/fullchain.pem',
      MQTT_TLS_KEY: '/etc/wardline/tls/privkey.pem',
    });
    expect(broker.volumes).toContainEqual(expect.stringMatching(/:\/etc\/wardline\/tls:ro$/));
    // Its own clients use TLS too, by the name on the certificate.
    expect(broker.networks?.default?.aliases).toEqual([composeSecrets.WARDLINE_MQTT_HOSTNAME]);
    const mqtts = `mqtts://${composeSecrets.WARDLINE_MQTT_HOSTNAME}:8883`;
    expect(services.server!.environment!.WARDLINE_MQTT_URL).toBe(mqtts);
    expect(services['simulated-gateway']!.environment!.WARDLINE_BROKER_URL).toBe(mqtts);
  });

  it('serves the web over HTTPS only, through a proxy that sets HSTS', () => {
    const server = services.server!;
    // The programs default to loopback; in a container that would make the proxy's upstream dead.
    expect(server.environment).toMatchObject({
      HOST: '0.0.0.0',
      PORT: '8080',
      WARDLINE_PUBLIC_URL: composeSecrets.WARDLINE_PUBLIC_URL,
      WARDLINE_SECURE_COOKIES: '1',
    });
    expect(published(server)).toEqual([]);
    const proxy = services.proxy!;
    expect(proxy.image).toMatch(/^caddy:2/);
    expect(published(proxy)).toEqual([
      { host: 443, container: 443 },
      { host: 80, container: 80 },
    ]);
    const caddyfile = proxy.volumes!.find((v) => v.endsWith(':/etc/caddy/Caddyfile:ro'))!.split(':')[0]!;
    expect(caddyfile).toBe(resolve(root, 'deploy/Caddyfile'));

    // Caddy's own reading of the file: the HTTPS server proxies to the server with HSTS, port 80 redirects.
    const adapted = spawnSync('caddy', ['adapt', '--config', caddyfile, '--adapter', 'caddyfile'], {
      encoding: 'utf8',
    });
    expect(adapted.status, adapted.stderr).toBe(0);
    const http = (JSON.parse(adapted.stdout) as CaddyConfig).apps.http.servers;
    const https = Object.values(http).find((s) => s.listen.includes(':443'))!;
    const handlers = https.routes.flatMap((r) => r.handle);
    expect(https.tls_connection_policies).toBeDefined();
    expect(
      handlers.find((h) => h.handler === 'headers')?.response?.set?.['Strict-Transport-Security'],
    ).toEqual([expect.stringMatching(/^max-age=(\d{8,})/)]);
    expect(handlers.find((h) => h.handler === 'reverse_proxy')?.upstreams).toEqual([{ dial: 'server:8080' }]);
    const plain = Object.values(http).find((s) => s.listen.includes(':80'))!;
    expect(plain.routes.flatMap((r) => r.handle)).toEqual([
      expect.objectContaining({ handler: 'static_response', status_code: 301 }),
    ]);
  });

  it('refuses to run without any of its secrets, its public URL or its MQTT host name', () => {
    expect(composeCheck({}).status).not.toBe(0);
    for (const name of Object.keys(composeSecrets) as (keyof typeof composeSecrets)[]) {
      const { [name]: _, ...without } = composeSecrets;
      const result = composeCheck(without);
      expect(result.status, name).not.toBe(0);
      expect(result.stderr).toContain(name);
    }
  });
});

interface CaddyHandler {
  handler: string;
  response?: { set?: Record<string, string[]> };
  upstreams?: { dial: string }[];
  status_code?: number;
}
interface CaddyConfig {
  apps: {
    http: {
      servers: Record<
        string,
        { listen: string[]; routes: { handle: CaddyHandler[] }[]; tls_connection_policies?: unknown[] }
      >;
    };
  };
}
