/** docker-compose.yml cannot run here (no engine); its validity and its secrets policy can be checked. */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const secrets = {
  WARDLINE_MQTT_PASSWORD: 'x',
  INFLUXDB_PASSWORD: 'y',
  INFLUXDB_TOKEN: 'z',
  WARDLINE_SIM_GATEWAY_PASSWORD: 'w',
  WARDLINE_PUBLIC_URL: 'https://wardline.example.org',
};

function composeConfig(env: Record<string, string>, quiet = true) {
  const { PATH, HOME } = process.env;
  return spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', ...(quiet ? ['-q'] : [])], {
    cwd: root,
    env: { PATH, HOME, ...env },
    encoding: 'utf8',
  });
}

describe('docker-compose.yml', () => {
  it('is a valid compose file with the four services, volumes and health checks', () => {
    expect(composeConfig(secrets).status).toBe(0);
    const full = composeConfig(secrets, false).stdout;
    for (const service of ['broker:', 'server:', 'influxdb:', 'simulated-gateway:'])
      expect(full).toContain(service);
    expect(full).toContain('image: influxdb:2');
    expect(full.match(/healthcheck:/g)?.length).toBeGreaterThanOrEqual(3);
    for (const volume of ['server-data', 'influxdb-data', 'gateway-data']) expect(full).toContain(volume);
  });

  it('listens on every interface inside its containers, and knows its public URL', () => {
    const full = composeConfig(secrets, false).stdout;
    // The programs default to loopback; in a container that would make the published ports dead.
    expect(full).toMatch(/^\s+HOST: 0\.0\.0\.0$/m);
    expect(full).toMatch(/^\s+MQTT_HOST: 0\.0\.0\.0$/m);
    expect(full).toContain('WARDLINE_PUBLIC_URL: https://wardline.example.org');
    const { WARDLINE_PUBLIC_URL: _, ...withoutPublicUrl } = secrets;
    const refused = composeConfig(withoutPublicUrl);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('WARDLINE_PUBLIC_URL');
  });

  it('refuses to run without its secrets', () => {
    const result = composeConfig({});
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('WARDLINE_MQTT_PASSWORD');
  });
});
