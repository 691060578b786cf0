import { describe, expect, it } from 'vitest';
import { KeyedHash } from './keyed-hash.js';
import { VerifiedCredentials } from './verified-credentials.js';

function clock() {
  const time = { now: 0 };
  return { time, now: () => time.now };
}

describe('KeyedHash', () => {
  it('tells credentials apart, including where the user name ends', () => {
    const keyed = new KeyedHash();
    const key = keyed.credentials('a.g1', Buffer.from('secret'));
    expect(keyed.credentials('a.g1', Buffer.from('secret'))).toBe(key);
    expect(keyed.credentials('a.g1', Buffer.from('secreT'))).not.toBe(key);
    expect(keyed.credentials('a.g', Buffer.from('1secret'))).not.toBe(key);
    expect(key).not.toContain('secret');
  });

  it('uses a key of its own: another process (instance) gets other digests', () => {
    expect(new KeyedHash().credentials('a', Buffer.from('b'))).not.toBe(
      new KeyedHash().credentials('a', Buffer.from('b')),
    );
  });

  it('keeps a long claimed user name short', () => {
    expect(new KeyedHash().username('x'.repeat(65_535)).length).toBeLessThanOrEqual(22);
  });
});

describe('VerifiedCredentials', () => {
  it('remembers a success for the TTL after its last use, then forgets it', () => {
    const { time, now } = clock();
    const verified = new VerifiedCredentials({ ttlMs: 1000, maxEntries: 10, now });
    verified.add('k', 'hash-1');
    time.now = 900;
    expect(verified.has('k', 'hash-1')).toBe(true);
    // Used at 900: lasts until 1900.
    time.now = 1800;
    expect(verified.has('k', 'hash-1')).toBe(true);
    time.now = 2800;
    expect(verified.has('k', 'hash-1')).toBe(false);
  });

  it('does not answer for another stored hash: a changed password invalidates the entry', () => {
    const verified = new VerifiedCredentials({ ttlMs: 1000, maxEntries: 10, now: () => 0 });
    verified.add('k', 'old-hash');
    expect(verified.has('k', 'new-hash')).toBe(false);
    // And it is gone, not waiting for the old hash to come back.
    expect(verified.has('k', 'old-hash')).toBe(false);
  });

  it('holds at most maxEntries, dropping the least recently used', () => {
    const verified = new VerifiedCredentials({ ttlMs: 1000, maxEntries: 2, now: () => 0 });
    verified.add('a', 'h');
    verified.add('b', 'h');
    expect(verified.has('a', 'h')).toBe(true);
    verified.add('c', 'h');
    expect(verified.size).toBe(2);
    expect(verified.has('b', 'h')).toBe(false);
    expect(verified.has('a', 'h')).toBe(true);
    expect(verified.has('c', 'h')).toBe(true);
  });

  it('renews an entry on request, but does not bring back an expired one', () => {
    const { time, now } = clock();
    const verified = new VerifiedCredentials({ ttlMs: 1000, maxEntries: 10, now });
    verified.add('live', 'h');
    verified.add('gone', 'h');
    time.now = 999;
    verified.renew('live');
    time.now = 1500;
    verified.renew('gone');
    expect(verified.has('live', 'h')).toBe(true);
    expect(verified.has('gone', 'h')).toBe(false);
  });

  it('with a TTL of 0 remembers nothing', () => {
    const verified = new VerifiedCredentials({ ttlMs: 0, maxEntries: 10, now: () => 5 });
    verified.add('k', 'h');
    expect(verified.has('k', 'h')).toBe(false);
  });
});
