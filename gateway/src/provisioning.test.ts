import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.js';

const file = {
  format: 'wardline-gateway-provisioning/1',
  mqttUrl: 'mqtts://broker.example.test:8883',
  username: 'home-site.kit-0a1b2c3d',
  password: 'k'.repeat(43),
  site: 'home-site',
  gateway: 'kit-0a1b2c3d',
  devices: [
    { id: 'c1:00:00:00:00:01', model: 'bp-cuff' },
    { id: 'c1:00:00:00:00:02', model: 'falls-sensor' },
  ],
  issuedAt: '2026-11-29T15:00:00.000Z',
};

function write(content: unknown, mode = 0o600): string {
  const path = join(mkdtempSync(join(tmpdir(), 'wardline-provisioning-')), 'kit.json');
  writeFileSync(path, JSON.stringify(content));
  chmodSync(path, mode);
  return path;
}

describe('gateway provisioning file', () => {
  it('takes the broker, identity, secret and devices from the file', () => {
    const result = parseConfig(['--provisioning', write(file)], { WARDLINE_OUTBOX_DIR: '/tmp/o' });
    if (result.kind !== 'config') throw new Error('expected a config');
    expect(result.config).toMatchObject({
      site: 'home-site',
      gateway: 'kit-0a1b2c3d',
      broker: { url: file.mqttUrl, username: file.username, password: file.password },
      allow: { addresses: ['c1:00:00:00:00:01', 'c1:00:00:00:00:02'] },
      devices: file.devices,
      outboxPath: '/tmp/o/outbox-home-site-kit-0a1b2c3d.db',
    });
    expect(result.warnings).toEqual([]);
  });

  it('is found through WARDLINE_PROVISIONING_FILE too, and warns when others may read it', () => {
    const result = parseConfig([], { WARDLINE_PROVISIONING_FILE: write(file, 0o644) });
    if (result.kind !== 'config') throw new Error('expected a config');
    expect(result.config.broker.username).toBe(file.username);
    expect(result.warnings.join('\n')).toMatch(/readable by other users: chmod 600/);
  });

  it('refuses a malformed file, or a flag that contradicts it', () => {
    expect(() => parseConfig(['--provisioning', write({ ...file, format: 'other' })], {})).toThrow(
      ConfigError,
    );
    expect(() => parseConfig(['--provisioning', write({ ...file, site: 'Not A Code' })], {})).toThrow(
      /"site" must be a site code/,
    );
    expect(() => parseConfig(['--provisioning', '/nonexistent/kit.json'], {})).toThrow(/cannot read/);
    expect(() => parseConfig(['--provisioning', write(file), '--site', 'elsewhere'], {})).toThrow(
      /--site contradicts the provisioning file/,
    );
  });
});
