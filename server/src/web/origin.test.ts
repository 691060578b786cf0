import { describe, expect, it } from 'vitest';
import { forgeryCheck, handshakeCheck, normalisePublicUrl, originMatcher } from './origin.js';

describe('origin checks', () => {
  it('accepts the public origin, and on loopback the other loopback names, nothing else', () => {
    const local = originMatcher(() => 'http://127.0.0.1:8080');
    for (const origin of ['http://127.0.0.1:8080', 'http://localhost:8080', 'http://[::1]:8080'])
      expect(local(origin), origin).toBe(true);
    for (const origin of [
      'http://localhost:8081',
      'https://localhost:8080',
      'http://127.0.0.1.evil.example:8080',
      'http://evil.example',
      'null',
      '',
    ])
      expect(local(origin), origin).toBe(false);
    const hosted = originMatcher(() => 'https://wardline.example.org/ward');
    expect(hosted('https://wardline.example.org')).toBe(true);
    expect(hosted('https://localhost')).toBe(false);
    expect(hosted('http://wardline.example.org')).toBe(false);
  });

  it('lets bearer requests through, and cookie requests only with proof of the same origin', () => {
    const own = (origin: string) => origin === 'https://w.example';
    const cookie = 'wardline_session=abc';
    const cases: [Parameters<typeof forgeryCheck>[0], boolean][] = [
      [{ authorization: 'Bearer t', origin: 'https://evil.example' }, true],
      [{ cookie, origin: 'https://w.example' }, true],
      [{ cookie, origin: 'https://evil.example' }, false],
      [{ cookie, 'sec-fetch-site': 'same-origin' }, true],
      [{ cookie, 'sec-fetch-site': 'cross-site' }, false],
      [{ cookie, 'sec-fetch-site': 'same-site' }, false],
      [{ cookie }, false],
      [{}, true], // no ambient credentials: nothing to forge (an API client signing in)
      [{ origin: 'https://evil.example' }, false], // sign-in from a foreign page
    ];
    for (const [headers, expected] of cases)
      expect(forgeryCheck(headers, own), JSON.stringify(headers)).toBe(expected);
  });

  it('refuses socket.io handshakes from foreign pages', () => {
    const own = (origin: string) => origin === 'https://w.example';
    expect(handshakeCheck({ origin: 'https://w.example' }, own)).toBe(true);
    expect(handshakeCheck({ origin: 'https://evil.example' }, own)).toBe(false);
    expect(handshakeCheck({ 'sec-fetch-site': 'cross-site' }, own)).toBe(false);
    expect(handshakeCheck({}, own)).toBe(true);
  });

  it('normalises the public URL and refuses what cannot be one', () => {
    expect(normalisePublicUrl('https://w.example/')).toBe('https://w.example');
    expect(normalisePublicUrl('https://w.example/wardline/')).toBe('https://w.example/wardline');
    for (const bad of ['w.example', 'ftp://w.example', 'https://w.example/?a=1', 'https://u:p@w.example'])
      expect(() => normalisePublicUrl(bad), bad).toThrow(/WARDLINE_PUBLIC_URL/);
  });
});
