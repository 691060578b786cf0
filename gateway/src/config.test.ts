import { describe, expect, it } from 'vitest';
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
