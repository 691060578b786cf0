import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { BrokerError, BrokerErrorCode } from './errors.js';

const minimal = { WARDLINE_BROKER_USERS_FILE: '/etc/wardline/users.json' };
const defaultLimits = {
  auth: {
    hashConcurrency: 2,
    hashQueue: 32,
    verifiedTtlMs: 600_000,
    backoff: { failuresBeforeBackoff: 5, maxBackoffMs: 60_000 },
  },
  maxServerConnections: 4,
  publishRates: {
    routine: { perSecond: 50, burst: 200, bytes: { perSecond: 262_144, burst: 1_048_576 } },
    urgent: { perSecond: 5, burst: 20, bytes: { perSecond: 32_768, burst: 262_144 } },
  },
};

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerError);
    expect((error as BrokerError).code).toBe(BrokerErrorCode.configInvalid);
    return (error as BrokerError).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadConfig', () => {
  it('defaults everything but the users file', () => {
    expect(loadConfig(minimal)).toEqual({
      host: '127.0.0.1',
      port: 1883,
      tls: null,
      healthHost: '127.0.0.1',
      healthPort: 8081,
      usersFile: '/etc/wardline/users.json',
      maxPayloadBytes: 1_048_576,
      dataDir: null,
      ...defaultLimits,
      logLevel: 'info',
      adminToken: null,
      credentials: null,
    });
  });

  it('reads every variable', () => {
    expect(
      loadConfig({
        ...minimal,
        MQTT_HOST: '10.0.0.5',
        MQTT_PORT: '1884',
        MQTT_TLS_KEY: '/tls/key.pem',
        MQTT_TLS_CERT: '/tls/cert.pem',
        MQTT_TLS_PORT: '8884',
        MQTT_TLS_HOST: '0.0.0.0',
        BROKER_HEALTH_HOST: '127.0.0.1',
        BROKER_HEALTH_PORT: '9000',
        WARDLINE_BROKER_MAX_PAYLOAD_BYTES: '2097152',
        WARDLINE_BROKER_DATA_DIR: '/var/lib/wardline-broker',
        WARDLINE_BROKER_AUTH_CONCURRENCY: '3',
        WARDLINE_BROKER_AUTH_QUEUE: '10',
        WARDLINE_BROKER_VERIFIED_TTL_SECONDS: '60',
        WARDLINE_BROKER_BACKOFF_AFTER_FAILURES: '8',
        WARDLINE_BROKER_BACKOFF_MAX_SECONDS: '300',
        WARDLINE_BROKER_MAX_SERVER_CONNECTIONS: '6',
        WARDLINE_BROKER_PUBLISH_RATE: '20',
        WARDLINE_BROKER_PUBLISH_BURST: '40',
        WARDLINE_BROKER_URGENT_RATE: '2',
        WARDLINE_BROKER_URGENT_BURST: '4',
        WARDLINE_BROKER_PUBLISH_BYTES_RATE: '65536',
        LOG_LEVEL: 'debug',
        WARDLINE_BROKER_ADMIN_TOKEN: 'an-admin-token-of-some-length',
      }),
    ).toEqual({
      host: '10.0.0.5',
      port: 1884,
      tls: { host: '0.0.0.0', port: 8884, keyPath: '/tls/key.pem', certPath: '/tls/cert.pem' },
      healthHost: '127.0.0.1',
      healthPort: 9000,
      usersFile: '/etc/wardline/users.json',
      maxPayloadBytes: 2_097_152,
      dataDir: '/var/lib/wardline-broker',
      auth: {
        hashConcurrency: 3,
        hashQueue: 10,
        verifiedTtlMs: 60_000,
        backoff: { failuresBeforeBackoff: 8, maxBackoffMs: 300_000 },
      },
      maxServerConnections: 6,
      publishRates: {
        routine: { perSecond: 20, burst: 40, bytes: { perSecond: 65_536, burst: 1_048_576 } },
        urgent: { perSecond: 2, burst: 4, bytes: { perSecond: 32_768, burst: 262_144 } },
      },
      logLevel: 'debug',
      adminToken: 'an-admin-token-of-some-length',
      credentials: null,
    });
  });

  it("replicates the server's kit credentials when the feed URL and token are set, kept beside the users file", () => {
    const config = loadConfig({
      ...minimal,
      WARDLINE_CREDENTIALS_URL: 'http://server:8080/api/internal/broker/credentials',
      WARDLINE_BROKER_SYNC_TOKEN: 'a-sync-token-of-some-length-0123',
    });
    expect(config.credentials).toEqual({
      url: 'http://server:8080/api/internal/broker/credentials',
      token: 'a-sync-token-of-some-length-0123',
      file: '/etc/wardline/broker-credentials.replica.json',
      intervalMs: 1000,
    });
  });

  it('turns TLS on with key and certificate, on 8883 and the MQTT host by default', () => {
    const config = loadConfig({
      ...minimal,
      MQTT_HOST: '10.0.0.5',
      MQTT_TLS_KEY: 'k.pem',
      MQTT_TLS_CERT: 'c.pem',
    });
    expect(config.tls).toEqual({ host: '10.0.0.5', port: 8883, keyPath: 'k.pem', certPath: 'c.pem' });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ ...minimal, MQTT_PORT: '', LOG_LEVEL: ' ' }).port).toBe(1883);
  });

  it.each([
    [{}, /WARDLINE_BROKER_USERS_FILE is not set: set it to the users file/],
    [{ ...minimal, MQTT_PORT: 'abc' }, /MQTT_PORT must be an integer from 0 to 65535, got "abc"/],
    [{ ...minimal, MQTT_PORT: '70000' }, /MQTT_PORT must be an integer/],
    [{ ...minimal, MQTT_PORT: '-1' }, /MQTT_PORT must be an integer/],
    [{ ...minimal, BROKER_HEALTH_PORT: '1e3' }, /BROKER_HEALTH_PORT must be an integer/],
    [{ ...minimal, MQTT_TLS_KEY: 'k.pem' }, /MQTT_TLS_KEY and MQTT_TLS_CERT must be set together/],
    [{ ...minimal, MQTT_TLS_PORT: '8883' }, /MQTT_TLS_PORT and MQTT_TLS_HOST need MQTT_TLS_KEY/],
    [{ ...minimal, WARDLINE_BROKER_MAX_PAYLOAD_BYTES: '1000' }, /from 262144 to 268435455/],
    [{ ...minimal, LOG_LEVEL: 'verbose' }, /LOG_LEVEL must be one of fatal, error/],
    [
      { ...minimal, WARDLINE_BROKER_AUTH_CONCURRENCY: '0' },
      /AUTH_CONCURRENCY must be an integer from 1 to 64/,
    ],
    [{ ...minimal, WARDLINE_BROKER_PUBLISH_RATE: '0' }, /PUBLISH_RATE must be an integer from 1/],
    [{ ...minimal, WARDLINE_BROKER_URGENT_BURST: '2.5' }, /URGENT_BURST must be an integer/],
    [{ ...minimal, WARDLINE_CREDENTIALS_URL: 'http://s/feed' }, /must be set together/],
    [
      { ...minimal, WARDLINE_CREDENTIALS_URL: 'http://s/feed', WARDLINE_BROKER_SYNC_TOKEN: 'short' },
      /WARDLINE_BROKER_SYNC_TOKEN must be at least/,
    ],
    [
      { ...minimal, WARDLINE_BROKER_MAX_SERVER_CONNECTIONS: '1' },
      /MAX_SERVER_CONNECTIONS must be an integer from 2/,
    ],
  ])('refuses %o', (env, message) => {
    expect(problemsOf(env)).toMatch(message);
  });

  it('lists every problem at once', () => {
    const message = problemsOf({ MQTT_PORT: 'x', LOG_LEVEL: 'loud' });
    expect(message.split('\n').filter((line) => line.startsWith('  - '))).toHaveLength(3);
  });
});
