import { describe, expect, it } from 'vitest';
import { openDatabase } from '../db/database.js';
import { accountsConfigFromEnv } from '../staff/accounts-config.js';
import { createSecretBox, parseSecretsKey } from './secret-box.js';
import { createUserRepository, hashToken, type SessionsEnded } from './user-repository.js';

const MINUTE = 60_000;

function repository() {
  const db = openDatabase(':memory:');
  const users = createUserRepository(db, { idleMs: 30 * MINUTE, maxMs: 12 * 60 * MINUTE });
  users.upsert({ username: 'nurse', passwordHash: 'x', role: 'nurse', displayName: 'Nurse' });
  const ended: SessionsEnded[] = [];
  users.onSessionsEnded((e) => ended.push(e));
  const lastSeen = (token: string) =>
    (
      db.prepare(`SELECT last_seen_at AS at FROM sessions WHERE token_hash = ?`).get(hashToken(token)) as {
        at: string;
      }
    ).at;
  return { users, ended, lastSeen };
}

describe('session lifetime', () => {
  const t0 = new Date('2026-11-29T08:00:00Z');
  const at = (minutes: number) => new Date(t0.getTime() + minutes * MINUTE);

  it('ends a session left unused for the idle timeout, and announces it so its sockets are cut', () => {
    const { users, ended } = repository();
    const token = users.createSession('nurse', t0);
    expect(users.userForToken(token, at(29))?.username).toBe('nurse');
    // Used at 29 minutes: idle from then on.
    expect(users.userForToken(token, at(58))?.username).toBe('nurse');
    expect(users.userForToken(token, at(88.5))).toBeUndefined();
    expect(users.sweepSessions(at(89))).toBe(1);
    expect(ended).toEqual([{ tokenHash: hashToken(token) }]);
  });

  it('ends a session at its absolute lifetime however busy it is', () => {
    const { users } = repository();
    const token = users.createSession('nurse', t0);
    for (let minute = 10; minute < 12 * 60; minute += 10)
      expect(users.userForToken(token, at(minute))).toBeDefined();
    expect(users.userForToken(token, at(12 * 60))).toBeUndefined();
  });

  it('writes its last use at most once a minute', () => {
    const { users, lastSeen } = repository();
    const token = users.createSession('nurse', t0);
    users.userForToken(token, at(0.5));
    expect(lastSeen(token)).toBe(t0.toISOString());
    users.userForToken(token, at(1.25));
    expect(lastSeen(token)).toBe(at(1.25).toISOString());
    users.userForToken(token, at(2));
    expect(lastSeen(token)).toBe(at(1.25).toISOString());
  });
});

describe('secrets at rest', () => {
  it('seals with AES-GCM when a key is set, and refuses a tampered or unkeyed secret', () => {
    const box = createSecretBox(parseSecretsKey(Buffer.alloc(32, 7).toString('base64')));
    const sealed = box.seal('JBSWY3DPEHPK3PXP');
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.open(sealed)).toBe('JBSWY3DPEHPK3PXP');
    const parts = sealed.split(':');
    parts[3] = Buffer.from('tampered').toString('base64');
    expect(() => box.open(parts.join(':'))).toThrow();
    expect(() => createSecretBox(null).open(sealed)).toThrow(/WARDLINE_SECRETS_KEY/);
    expect(box.open(createSecretBox(null).seal('PLAIN'))).toBe('PLAIN');
    expect(() => parseSecretsKey('too-short')).toThrow(/32 bytes/);
  });
});

describe('session settings from the environment', () => {
  it('reads idle minutes and lifetime hours, and says what is wrong with a bad value', () => {
    expect(accountsConfigFromEnv({}).sessions).toEqual({ idleMs: 60 * MINUTE, maxMs: 12 * 60 * MINUTE });
    const config = accountsConfigFromEnv({
      WARDLINE_SESSION_IDLE_MINUTES: '15',
      WARDLINE_SESSION_MAX_HOURS: '13',
      WARDLINE_INVITE_LINK_HOURS: '48',
      WARDLINE_RESET_LINK_MINUTES: '30',
    });
    expect(config.sessions).toEqual({ idleMs: 15 * MINUTE, maxMs: 13 * 60 * MINUTE });
    expect(config.tokens).toEqual({ inviteMs: 48 * 60 * MINUTE, resetMs: 30 * MINUTE });
    expect(() => accountsConfigFromEnv({ WARDLINE_SESSION_IDLE_MINUTES: '2' })).toThrow(/5 or more/);
    expect(() => accountsConfigFromEnv({ WARDLINE_SESSION_IDLE_MINUTES: 'soon' })).toThrow(
      /WARDLINE_SESSION_IDLE_MINUTES must be a whole number/,
    );
  });
});
