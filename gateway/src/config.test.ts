import { describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, describeBroker, HELP_TEXT, parseConfig } from './config.js';

function config(argv: string[], env: Record<string, string> = {}) {
  const result = parseConfig(argv, env);
  if (result.kind !== 'config') throw new Error('expected a config');
  return result;
}

describe('gateway configuration', () => {
  it('has demo defaults matching the demo fleet and the broker user naming', () => {
    const { config: c } = config([]);
    expect(c).toMatchObject({
      site: 'larkspur',
      gateway: 'gw-01',
      broker: { url: 'mqtt://127.0.0.1:1883', username: 'larkspur.gw-01' },
      simulate: false,
      simulator: { seed: 1, timeScale: 8640, bpIntervalMinutes: 720, heartbeatSeconds: 60 },
      statusIntervalSeconds: 30,
      outboxCapacity: 100_000,
      logLevel: 'info',
    });
    expect(c.simulator.residents).toBeUndefined();
  });

  it('reads the environment, and flags override it', () => {
    const env = {
      WARDLINE_SITE: 'vw-north',
      WARDLINE_GATEWAY: 'home-01',
      WARDLINE_BROKER_URL: 'mqtts://broker.example:8883',
      WARDLINE_BROKER_CA: '/etc/wardline/ca.pem',
      WARDLINE_GATEWAY_PASSWORD: 's3cret',
      WARDLINE_SIM_RESIDENTS: '6',
      WARDLINE_SIMULATE: '1',
    };
    const { config: c } = config(['--gateway', 'home-02', '--residents=2', '--time-scale', '1'], env);
    expect(c.site).toBe('vw-north');
    expect(c.gateway).toBe('home-02');
    expect(c.broker).toEqual({
      urls: ['mqtts://broker.example:8883'],
      url: 'mqtts://broker.example:8883',
      caPath: '/etc/wardline/ca.pem',
      username: 'vw-north.home-02',
      password: 's3cret',
    });
    expect(c.simulate).toBe(true);
    expect(c.simulator.residents).toBe(2);
    expect(c.simulator.timeScale).toBe(1);
  });

  it('takes the password from the environment only, and never shows it', () => {
    expect(() => parseConfig(['--password', 'x'], {})).toThrow(ConfigError);
    expect(() => parseConfig(['--password=x'], {})).toThrow(/WARDLINE_GATEWAY_PASSWORD/);
    expect(() => parseConfig(['--broker-url', 'mqtt://u:p@host:1883'], {})).toThrow(ConfigError);
    const { config: c } = config([], { WARDLINE_GATEWAY_PASSWORD: 'hunter2' });
    expect(JSON.stringify(describeBroker(c))).not.toContain('hunter2');
    expect(describeBroker(c).password).toBe('set');
  });

  it('warns about a missing password and a password in clear over the network', () => {
    expect(config([]).warnings.join('\n')).toMatch(/WARDLINE_GATEWAY_PASSWORD is not set/);
    const clear = config(['--broker-url', 'mqtt://broker.example:1883'], { WARDLINE_GATEWAY_PASSWORD: 'x' });
    expect(clear.warnings.join('\n')).toMatch(/unencrypted/);
    expect(config([], { WARDLINE_GATEWAY_PASSWORD: 'x' }).warnings).toEqual([]);
  });

  it('puts the durable outbox in WARDLINE_OUTBOX_DIR, one file per gateway, unless a path is given', () => {
    expect(config([]).config.outboxPath).toBe('data/outbox-larkspur-gw-01.db');
    expect(config(['--gateway', 'gw-02'], { WARDLINE_OUTBOX_DIR: '/var/lib/wl' }).config.outboxPath).toBe(
      '/var/lib/wl/outbox-larkspur-gw-02.db',
    );
    expect(config(['--outbox-path', '/srv/o.db'], { WARDLINE_OUTBOX_DIR: '/x' }).config.outboxPath).toBe(
      '/srv/o.db',
    );
  });

  it('reads an allow-list of addresses and services in any UUID spelling', () => {
    const { config: c } = config([
      '--allow',
      'E2:00:00:00:00:01, 0x1810,55E30001-0AF7-4DCA-9354-00653A5AEADD',
    ]);
    expect(c.allow).toEqual({
      addresses: ['e2:00:00:00:00:01'],
      services: ['1810', '55e300010af74dca935400653a5aeadd'],
    });
    expect(() => parseConfig(['--allow', 'bedroom'], {})).toThrow(ConfigError);
  });

  it.each([
    [['--site', 'Larkspur House']],
    [['--broker-url', 'http://broker:1883']],
    [['--broker-url', 'not a url']],
    [['--broker-ca', '/ca.pem']],
    [['--residents', '-1']],
    [['--residents', '2.5']],
    [['--time-scale', '0']],
    [['--unknown-flag']],
    [['positional']],
  ])('refuses %j with a ConfigError', (argv) => {
    expect(() => parseConfig(argv, {})).toThrow(ConfigError);
  });

  it('prints help', () => {
    expect(parseConfig(['--help'], {})).toEqual({ kind: 'help', text: HELP_TEXT });
    expect(HELP_TEXT).toContain('WARDLINE_GATEWAY_PASSWORD');
    expect(HELP_TEXT).toContain('--simulate');
    for (const option of ['--allow', '--outbox-path', '--outbox-capacity', '--health-port', '--broker-ca'])
      expect(HELP_TEXT).toContain(option);
  });
});

describe('broker list', () => {
  const A = 'mqtts://broker-a.example:8883';
  const B = 'mqtts://broker-b.example:8883';
  const C = 'wss://broker-c.example/mqtt';
  const urls = (argv: string[], env: Record<string, string> = {}) => config(argv, env).config.broker.urls;

  it('takes several brokers from repeated --broker-url flags and comma lists, in order', () => {
    expect(urls(['--broker-url', A, '--broker-url', `${B}, ${C}`])).toEqual([A, B, C]);
    expect(urls([`--broker-url=${A},${B}`])).toEqual([A, B]);
    expect(config(['--broker-url', A, '--broker-url', B]).config.broker.url).toBe(A);
  });

  it('reads WARDLINE_BROKER_URLS, and WARDLINE_BROKER_URL alone as before; flags win', () => {
    expect(urls([], { WARDLINE_BROKER_URLS: `${A},${B}` })).toEqual([A, B]);
    expect(urls([], { WARDLINE_BROKER_URL: A })).toEqual([A]);
    expect(urls([], { WARDLINE_BROKER_URL: `${A},${B}` })).toEqual([A, B]);
    // The old variable naming the first broker of the new one is no contradiction.
    expect(urls([], { WARDLINE_BROKER_URLS: `${A},${B}`, WARDLINE_BROKER_URL: A })).toEqual([A, B]);
    expect(urls(['--broker-url', C], { WARDLINE_BROKER_URLS: `${A},${B}` })).toEqual([C]);
    expect(() => parseConfig([], { WARDLINE_BROKER_URLS: `${A},${B}`, WARDLINE_BROKER_URL: C })).toThrow(
      /WARDLINE_BROKER_URLS and WARDLINE_BROKER_URL disagree/,
    );
  });

  it('accepts mqtt, mqtts, ws and wss with a host and a port (or the default port)', () => {
    const list = [
      'mqtt://10.0.0.1:1883',
      'mqtts://[::1]:8883',
      'ws://broker.example:8080/mqtt',
      'wss://b.example',
    ];
    const { config: c } = config(['--broker-url', list.join(',')], { WARDLINE_GATEWAY_PASSWORD: 'x' });
    expect(c.broker.urls).toEqual(list);
    expect(describeBroker(c)).toMatchObject({
      url: 'mqtt://10.0.0.1:1883',
      failover: ['mqtts://[::1]:8883', 'ws://broker.example:8080/mqtt', 'wss://b.example:443'],
    });
  });

  it.each([
    [`${A},http://broker:1883`, /broker URL 2 of 2 must be mqtt:\/\/, mqtts:\/\/, ws:\/\/ or wss:\/\//],
    [`${A},not a url`, /broker URL 2 of 2 is not a URL/],
    [`${A},,${B}`, /broker URL 2 of 3 is empty/],
    [`${A},mqtt:broker-b.example:1883`, /broker URL 2 of 2 has no host/],
    [`mqtt://broker:0,${B}`, /broker URL 1 of 2 has a port outside 1-65535/],
    [`mqtt://broker:99999`, /not a URL/],
    [`${A},mqtts://broker-a.example`, /listed twice/],
    [`${A},mqtt://u:hunter2@broker-b.example:1883`, /no credentials/],
    [`mqtt://broker:1883/path`, /no path/],
  ])('refuses the list %s, saying which URL is wrong', (list, message) => {
    let error: unknown;
    try {
      parseConfig(['--broker-url', list], {});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('refuses a bad URL from the environment as from a flag', () => {
    expect(() => parseConfig([], { WARDLINE_BROKER_URLS: `${A},ftp://b` })).toThrow(ConfigError);
  });

  it('warns for each broker the password would reach in clear, and keeps a CA for a list with TLS', () => {
    const { warnings } = config(['--broker-url', `${A},mqtt://broker-b.example:1883,mqtt://127.0.0.1:1883`], {
      WARDLINE_GATEWAY_PASSWORD: 'x',
    });
    expect(warnings.filter((w) => /unencrypted/.test(w))).toEqual([
      'the MQTT password will cross the network unencrypted to mqtt://broker-b.example:1883: use mqtts://',
    ]);
    expect(config(['--broker-url', `${A},${B}`, '--broker-ca', '/ca.pem']).config.broker.caPath).toBe(
      '/ca.pem',
    );
    expect(() =>
      parseConfig(['--broker-url', 'mqtt://a:1883,ws://b:80', '--broker-ca', '/ca.pem'], {}),
    ).toThrow(/CA only makes sense/);
  });

  describe('in the provisioning file', () => {
    const file = {
      format: 'wardline-gateway-provisioning/1',
      mqttUrl: A,
      username: 'home-site.kit-0a1b2c3d',
      password: 'k'.repeat(43),
      site: 'home-site',
      gateway: 'kit-0a1b2c3d',
      devices: [{ id: 'c1:00:00:00:00:01', model: 'bp-cuff' }],
      issuedAt: '2026-11-29T15:00:00.000Z',
    };
    const write = (content: unknown) => {
      const path = join(mkdtempSync(join(tmpdir(), 'wardline-provisioning-')), 'kit.json');
      writeFileSync(path, JSON.stringify(content));
      chmodSync(path, 0o600);
      return path;
    };

    it('takes mqttUrls when the file has it, and mqttUrl alone from an older file', () => {
      expect(urls(['--provisioning', write({ ...file, mqttUrls: [A, B] })])).toEqual([A, B]);
      expect(urls(['--provisioning', write(file)])).toEqual([A]);
    });

    it('refuses a list that is not one, or whose first broker is not mqttUrl, or a bad URL in it', () => {
      for (const [mqttUrls, message] of [
        [[], /"mqttUrls" must be a list of broker URLs/],
        [[A, 3], /"mqttUrls" must be a list of broker URLs/],
        [A, /"mqttUrls" must be a list of broker URLs/],
        [[B, A], /"mqttUrl" must be the first of "mqttUrls"/],
        [[A, 'http://b:1883'], /broker URL 2 of 2 must be/],
      ] as const) {
        expect(() => parseConfig(['--provisioning', write({ ...file, mqttUrls })], {})).toThrow(message);
      }
    });

    it('refuses --broker-url flags that say otherwise, and accepts ones that say the same', () => {
      const path = write({ ...file, mqttUrls: [A, B] });
      expect(() => parseConfig(['--provisioning', path, '--broker-url', A], {})).toThrow(
        /--broker-url contradicts the provisioning file/,
      );
      expect(urls(['--provisioning', path, '--broker-url', A, '--broker-url', B])).toEqual([A, B]);
    });
  });
});
