import { describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../db/engines/engine.js';
import { accountsConfigFromEnv } from '../staff/accounts-config.js';
import { describeEngines } from '../testing-sql.js';
import { createSecretBox, parseSecretsKey } from './secret-box.js';
import { createUserRepository, hashToken, type SessionsEnded } from './user-repository.js';

const MINUTE = 60_000;

async function repository(sql: SqlDatabase) {
  const users = createUserRepository(sql, { idleMs: 30 * MINUTE, maxMs: 12 * 60 * MINUTE });
  await users.upsert({ username: 'nurse', passwordHash: 'x', role: 'nurse', displayName: 'Nurse' });
  const ended: SessionsEnded[] = [];
  users.onSessionsEnded((e) => ended.push(e));
  const lastSeen = async (token: string) =>
    (await sql.get<{ at: string }>(`SELECT last_seen_at AS at FROM sessions WHERE token_hash = ?`, [
      hashToken(token),
    ]))!.at;
  return { users, ended, lastSeen };
}

describeEngines('session lifetime', (open) => {
  const t0 = new Date('2026-11-29T08:00:00Z');
  const at = (minutes: number) => new Date(t0.getTime() + minutes * MINUTE);

  it('ends a session left unused for the idle timeout, and announces it so its sockets are cut', async () => {
    const { users, ended } = await repository(await open());
    const token = await users.createSession('nurse', t0);
    expect((await users.userForToken(token, at(29)))?.username).toBe('nurse');
    // Used at 29 minutes: idle from then on.
    expect((await users.userForToken(token, at(58)))?.username).toBe('nurse');
    expect(await users.userForToken(token, at(88.5))).toBeUndefined();
    expect(await users.sweepSessions(at(89))).toBe(1);
    expect(ended).toEqual([{ tokenHash: hashToken(token) }]);
  });

  it('ends a session at its absolute lifetime however busy it is', async () => {
    const { users } = await repository(await open());
    const token = await users.createSession('nurse', t0);
    for (let minute = 10; minute < 12 * 60; minute += 10)
      expect(await users.userForToken(token, at(minute))).toBeDefined();
    expect(await users.userForToken(token, at(12 * 60))).toBeUndefined();
  });

  it('writes its last use at most once a minute', async () => {
    const { users, lastSeen } = await repository(await open());
    const token = await users.createSession('nurse', t0);
    await users.userForToken(token, at(0.5));
    expect(await lastSeen(token)).toBe(t0.toISOString());
    await users.userForToken(token, at(1.25));
    expect(await lastSeen(token)).toBe(at(1.25).toISOString());
    await users.userForToken(token, at(2));
    expect(await lastSeen(token)).toBe(at(1.25).toISOString());
  });

  it('starts a session in the second-factor state it is given, and moves it on after enrolment', async () => {
    const { users } = await repository(await open());
    const token = await users.createSession('nurse', t0, 'enrol-required');
    expect((await users.sessionForToken(token, at(1)))?.secondFactor).toBe('enrol-required');
    await users.setSessionSecondFactor(hashToken(token), 'totp');
    expect((await users.sessionForToken(token, at(1)))?.secondFactor).toBe('totp');
  });
});

describeEngines('staff accounts', (open) => {
  const invite = (username: string, email: string | null, wardIds: string[] | null = null) => ({
    username,
    role: 'nurse' as const,
    displayName: username,
    email,
    organisationId: 'org-default',
    wardIds,
    createdBy: 'admin',
  });

  it('refuses a second account with a taken name or e-mail (in any case) and keeps the first', async () => {
    const sql = await open();
    const users = createUserRepository(sql);
    await sql.run(
      `INSERT INTO sites (id, organisation_id, code, name, kind, created_at) VALUES ('s1', 'org-default', 'S1', 'Site', 'care_home', ?)`,
      [new Date().toISOString()],
    );
    await sql.run(
      `INSERT INTO wards (id, name, kind, site_code, site_id, organisation_id)
       VALUES ('w1', 'Ward', 'care_home', 'S1', 's1', 'org-default')`,
    );
    expect(await users.createAccount(invite('amy', 'Amy@Example.test', ['w1']))).toBe(true);
    expect(await users.createAccount(invite('amy', 'other@example.test'))).toBe(false);
    expect(await users.createAccount(invite('amy2', 'amy@example.TEST'))).toBe(false);
    // A ward that does not exist breaks the account's foreign key: nothing of it is kept.
    expect(await users.createAccount(invite('bob', 'bob@example.test', ['no-such-ward']))).toBe(false);
    expect(await users.find('bob')).toBeUndefined();
    expect(await users.freeUsername('Amy')).toBe('amy2');
    const [amy] = await users.staff('org-default', 'amy');
    expect(amy).toMatchObject({
      username: 'amy',
      email: 'amy@example.test',
      wardIds: ['w1'],
      pending: true,
      totpEnabled: false,
      federated: [],
    });
  });

  it("lists an organisation's staff, and operators (who belong to none) apart", async () => {
    const users = createUserRepository(await open());
    await users.upsert({ username: 'nurse', passwordHash: 'x', role: 'nurse', displayName: 'N' });
    await users.upsert({ username: 'op', passwordHash: 'x', role: 'operator', displayName: 'O' });
    expect((await users.staff('org-default')).map((a) => a.username)).toEqual(['nurse']);
    expect((await users.staff(null)).map((a) => a.username)).toEqual(['op']);
    expect((await users.accountsOf(null)).map((a) => a.username)).toEqual(['op']);
    expect(await users.passwordHashSample()).toBe('x');
  });

  it('disables an account once, ending its sessions', async () => {
    const users = createUserRepository(await open());
    await users.upsert({ username: 'nurse', passwordHash: 'x', role: 'nurse', displayName: 'N' });
    const token = await users.createSession('nurse');
    expect(await users.disable('nurse')).toBe(true);
    expect(await users.sessionForToken(token)).toBeUndefined();
    expect(await users.disable('nobody')).toBe(false);
    expect(await users.activeAdmins('org-default')).toEqual([]);
    expect(await users.enable('nurse')).toBe(true);
    expect((await users.account('nurse'))?.disabledAt).toBeNull();
  });

  it('links a federated identity once; a second account for the same subject is refused', async () => {
    const users = createUserRepository(await open());
    const identity = { issuer: 'https://idp.example.test', subject: 'sub-1' };
    expect(await users.createFederated(invite('fed', 'fed@example.test'), identity)).toBe(true);
    expect((await users.findFederated(identity.issuer, identity.subject))?.username).toBe('fed');
    await expect(users.createFederated(invite('fed2', 'fed2@example.test'), identity)).rejects.toThrow();
    expect(await users.find('fed2')).toBeUndefined();
    expect((await users.staff('org-default', 'fed'))[0]).toMatchObject({
      pending: false,
      federated: [identity.issuer],
    });
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
