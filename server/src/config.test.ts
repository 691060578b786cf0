import { describe, expect, it } from 'vitest';
import { configFromEnv } from './config.js';

describe('server configuration', () => {
  const base = { WARDLINE_MQTT_DISABLED: '1' };

  it('listens on loopback unless HOST says otherwise', () => {
    expect(configFromEnv(base).host).toBe('127.0.0.1');
    expect(configFromEnv({ ...base, HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
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
});
