/** docker-compose.yml as compose itself renders it (interpolated, normalised), for tests. */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parse } from 'yaml';

const root = resolve(import.meta.dirname, '../..');

/** The variables compose refuses to start without, with made-up values. */
export const composeSecrets = {
  WARDLINE_MQTT_PASSWORD: 'x',
  INFLUXDB_PASSWORD: 'y',
  INFLUXDB_TOKEN: 'z',
  WARDLINE_SIM_GATEWAY_PASSWORD: 'w',
  WARDLINE_PUBLIC_URL: 'https://wardline.example.org',
  WARDLINE_MQTT_HOSTNAME: 'mqtt.wardline.example.org',
  WARDLINE_BROKER_ADMIN_TOKEN: 'a-made-up-admin-token',
  WARDLINE_BROKER_SYNC_TOKEN: 'a-made-up-sync-token',
  // 32 bytes, base64, as the server requires.
  WARDLINE_SECRETS_KEY: Buffer.from('a made-up 32-byte secrets key...').toString('base64'),
};

export interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: { published: number | string; target: number | string }[];
  volumes?: string[];
  networks?: Record<string, { aliases?: string[] } | null>;
  network_mode?: string;
  hostname?: string;
  healthcheck?: unknown;
}

export interface ComposeConfig {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}

/** `docker-compose config` with only these variables set; throws with compose's message if it refuses. */
export function composeConfig(
  env: Record<string, string> = composeSecrets,
  file = 'docker-compose.yml',
): ComposeConfig {
  const { PATH, HOME } = process.env;
  const result = spawnSync('docker-compose', ['-f', file, 'config'], {
    cwd: root,
    env: { PATH, HOME, ...env },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`docker-compose config failed: ${result.stderr}`);
  return parse(result.stdout) as ComposeConfig;
}
