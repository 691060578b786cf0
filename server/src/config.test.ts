import { describe, expect, it } from 'vitest';
import { configFromEnv } from './config.js';

describe('server configuration', () => {
  const base = { WARDLINE_MQTT_DISABLED: '1' };

  it('listens on loopback unless HOST says otherwise', () => {
    expect(configFromEnv(base).host).toBe('127.0.0.1');
    expect(configFromEnv({ ...base, HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  });

  it('keeps the records in SQLite unless WARDLINE_DATABASE_URL names a PostgreSQL database', () => {
    expect(configFromEnv(base).databaseUrl).toBeNull();
    const url = 'postgres://wardline:secret@db.example.org:5432/wardline';
    expect(configFromEnv({ ...base, WARDLINE_DATABASE_URL: url }).databaseUrl).toBe(url);
    expect(() =>
      configFromEnv({ ...base, WARDLINE_DATABASE_URL: 'mysql://db.example.org/wardline' }),
    ).toThrow(/must be a postgres:\/\/ URL/);
    expect(() => configFromEnv({ ...base, WARDLINE_DATABASE_URL: 'postgres://db.example.org' })).toThrow(
      /names no database/,
    );
    // The message never echoes the URL: it may carry the password.
    expect(() => configFromEnv({ ...base, WARDLINE_DATABASE_URL: 'not a url secret' })).toThrow(
      /^(?!.*secret).*$/,
    );
  });

  it('takes the public URL from WARDLINE_PUBLIC_URL, and refuses one that is not a URL', () => {
    expect(configFromEnv(base).publicUrl).toBeNull();
    expect(configFromEnv({ ...base, WARDLINE_PUBLIC_URL: 'https://wardline.example.org/' }).publicUrl).toBe(
      'https://wardline.example.org',
    );
    expect(() => configFromEnv({ ...base, WARDLINE_PUBLIC_URL: 'wardline.example.org' })).toThrow(
      /WARDLINE_PUBLIC_URL/,
    );
  });

  it('writes the gateway broker URL into provisioning files from WARDLINE_GATEWAY_MQTT_URL, else the server’s own', () => {
    const own = { WARDLINE_MQTT_PASSWORD: 'x', WARDLINE_MQTT_URL: 'mqtts://broker.example.org:8883' };
    expect(configFromEnv(own).kits).toEqual({
      gatewayMqttUrl: 'mqtts://broker.example.org:8883',
      brokerSyncToken: null,
    });
    expect(configFromEnv({ ...base, MQTT_PORT: '1884' }).kits?.gatewayMqttUrl).toBe('mqtt://127.0.0.1:1884');
    expect(
      configFromEnv({ ...own, WARDLINE_GATEWAY_MQTT_URL: 'mqtts://gw.example.org:8883' }).kits
        ?.gatewayMqttUrl,
    ).toBe('mqtts://gw.example.org:8883');
  });

  it('writes a failover list of gateway brokers from WARDLINE_GATEWAY_MQTT_URLS, the first as the one URL', () => {
    const own = { WARDLINE_MQTT_PASSWORD: 'x' };
    const urls = 'mqtts://b1.example.org:8883, mqtts://b2.example.org:8883';
    expect(configFromEnv({ ...own, WARDLINE_GATEWAY_MQTT_URLS: urls }).kits).toEqual({
      gatewayMqttUrl: 'mqtts://b1.example.org:8883',
      gatewayMqttUrls: ['mqtts://b1.example.org:8883', 'mqtts://b2.example.org:8883'],
      brokerSyncToken: null,
    });
    expect(
      configFromEnv({
        ...own,
        WARDLINE_GATEWAY_MQTT_URLS: urls,
        WARDLINE_GATEWAY_MQTT_URL: 'mqtts://b1.example.org:8883',
      }).kits?.gatewayMqttUrls,
    ).toHaveLength(2);
    expect(() =>
      configFromEnv({
        ...own,
        WARDLINE_GATEWAY_MQTT_URLS: urls,
        WARDLINE_GATEWAY_MQTT_URL: 'mqtts://b2.example.org:8883',
      }),
    ).toThrow(/disagree/);
    expect(() =>
      configFromEnv({ ...own, WARDLINE_GATEWAY_MQTT_URLS: 'mqtts://b1.example.org:8883,' }),
    ).toThrow(/empty entry/);
  });

  it('takes the broker sync token from WARDLINE_BROKER_SYNC_TOKEN; blank means none', () => {
    expect(
      configFromEnv({ ...base, WARDLINE_BROKER_SYNC_TOKEN: ' a-sync-token ' }).kits?.brokerSyncToken,
    ).toBe('a-sync-token');
    expect(configFromEnv({ ...base, WARDLINE_BROKER_SYNC_TOKEN: '  ' }).kits?.brokerSyncToken).toBeNull();
  });
});
