/** The password checks with real scrypt (a cheap cost) and a clock the back-off tests can move. */
import { describe, expect, it } from 'vitest';
import { Authenticator, DEFAULT_AUTH_LIMITS, type AuthLimits } from './authenticator.js';
import { ConnackCode, RefusalCode } from './errors.js';
import { hashPassword } from './password.js';
import { UserRegistry } from './users.js';

const cheap = { N: 1024, r: 8, p: 1 };
const users = new UserRegistry([
  {
    username: 'a.g1',
    passwordHash: await hashPassword('g1-secret', cheap),
    role: 'gateway',
    site: 'site-a',
    gateway: 'gw-1',
  },
  {
    username: 'a.g2',
    passwordHash: await hashPassword('g2-secret', cheap),
    role: 'gateway',
    site: 'site-a',
    gateway: 'gw-2',
  },
  { username: 'server', passwordHash: await hashPassword('server-secret', cheap), role: 'server' },
]);
const HOME = '192.0.2.10';
const pw = (text: string) => Buffer.from(text);

function authenticator(limits: Partial<AuthLimits> = {}) {
  const time = { now: 0 };
  const auth = new Authenticator(users, { ...DEFAULT_AUTH_LIMITS, ...limits }, () => time.now);
  return { auth, time };
}

const refused = (code: RefusalCode, returnCode: ConnackCode) => ({ allowed: false, code, returnCode });

describe('Authenticator', () => {
  it.each([
    [
      'a wrong password',
      'a.g1',
      'guess',
      refused(RefusalCode.badPassword, ConnackCode.badUsernameOrPassword),
    ],
    ['no password', 'a.g1', undefined, refused(RefusalCode.badPassword, ConnackCode.badUsernameOrPassword)],
    [
      'an unknown user',
      'mallory',
      'g1-secret',
      refused(RefusalCode.unknownUser, ConnackCode.badUsernameOrPassword),
    ],
    ['no credentials', undefined, undefined, refused(RefusalCode.noCredentials, ConnackCode.notAuthorized)],
  ])('refuses %s', async (_case, username, password, expected) => {
    const { auth } = authenticator();
    expect(
      await auth.authenticate(username, password === undefined ? undefined : pw(password), HOME),
    ).toEqual(expected);
  });

  it('grants the identity of the users-file entry, checked once and then from memory', async () => {
    const { auth } = authenticator();
    const first = await auth.authenticate('a.g1', pw('g1-secret'), HOME);
    expect(first).toMatchObject({
      allowed: true,
      via: 'checked',
      identity: { role: 'gateway', username: 'a.g1', site: 'site-a', gateway: 'gw-1' },
    });
    const again = await auth.authenticate('a.g1', pw('g1-secret'), '198.51.100.7');
    expect(again).toMatchObject({ allowed: true, via: 'verified' });
    expect(await auth.authenticate('server', pw('server-secret'), HOME)).toMatchObject({
      allowed: true,
      identity: { role: 'server', username: 'server' },
    });
    // A wrong password is never remembered: it is checked every time.
    await auth.authenticate('a.g1', pw('guess'), HOME);
    expect(await auth.authenticate('a.g1', pw('guess'), HOME)).toMatchObject({
      code: RefusalCode.badPassword,
    });
  });

  it('checks again once the remembered success has expired', async () => {
    const { auth, time } = authenticator({ verifiedTtlMs: 1000 });
    await auth.authenticate('a.g1', pw('g1-secret'), HOME);
    time.now = 5000;
    expect(await auth.authenticate('a.g1', pw('g1-secret'), HOME)).toMatchObject({ via: 'checked' });
  });

  it('refuses at once with CONNACK 3 when every check slot and queue place is taken', async () => {
    const { auth } = authenticator({ hashConcurrency: 1, hashQueue: 1 });
    const running = auth.authenticate('a.g1', pw('guess-1'), HOME);
    const queued = auth.authenticate('a.g1', pw('guess-2'), HOME);
    expect(auth.stats()).toMatchObject({ hashing: 1, queued: 1 });
    expect(await auth.authenticate('a.g2', pw('g2-secret'), '198.51.100.7')).toEqual(
      refused(RefusalCode.authBusy, ConnackCode.serverUnavailable),
    );
    await Promise.all([running, queued]);
    expect(auth.stats()).toMatchObject({ hashing: 0, queued: 0 });
  });

  it("checks the server's password in its own lane: a queue of gateways after a restart never holds it", async () => {
    const { auth } = authenticator({ hashConcurrency: 1, hashQueue: 1 });
    const gateways = [
      auth.authenticate('a.g1', pw('g1-secret'), HOME),
      auth.authenticate('a.g2', pw('g2-secret'), HOME),
    ];
    expect(await auth.authenticate('a.g2', pw('other'), '198.51.100.7')).toEqual(
      refused(RefusalCode.authBusy, ConnackCode.serverUnavailable),
    );
    expect(await auth.authenticate('server', pw('server-secret'), '127.0.0.1')).toMatchObject({
      allowed: true,
      via: 'checked',
      identity: { role: 'server' },
    });
    expect(await auth.authenticate('server', pw('wrong'), '198.51.100.9')).toEqual(
      refused(RefusalCode.badPassword, ConnackCode.badUsernameOrPassword),
    );
    await Promise.all(gateways);
  });

  it('lets remembered credentials in while every check slot is taken', async () => {
    const { auth } = authenticator({ hashConcurrency: 1, hashQueue: 0 });
    await auth.authenticate('a.g1', pw('g1-secret'), HOME);
    const busy = auth.authenticate('a.g2', pw('guess'), HOME);
    expect(auth.stats().hashing).toBe(1);
    expect(await auth.authenticate('a.g1', pw('g1-secret'), HOME)).toMatchObject({
      allowed: true,
      via: 'verified',
    });
    await busy;
  });

  it('shares one check among simultaneous CONNECTs with the same credentials', async () => {
    // One slot and no queue: a second check of its own would be refused as busy.
    const { auth } = authenticator({ hashConcurrency: 1, hashQueue: 0 });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => auth.authenticate('a.g1', pw('g1-secret'), HOME)),
    );
    expect(results.every((result) => result.allowed)).toBe(true);
  });

  it('after repeated failures refuses that user from that address unchecked, until the back-off ends', async () => {
    const { auth, time } = authenticator({ backoff: { failuresBeforeBackoff: 3, initialBackoffMs: 1000 } });
    await auth.authenticate('a.g2', pw('g2-secret'), HOME); // remembered before the attack
    for (let i = 0; i < 3; i++) await auth.authenticate('a.g1', pw(`guess-${i}`), HOME);
    const backingOff = refused(RefusalCode.authBackoff, ConnackCode.serverUnavailable);
    // Even the right password: it is not checked at all.
    expect(await auth.authenticate('a.g1', pw('g1-secret'), HOME)).toEqual(backingOff);
    expect(auth.stats().backoffAddresses).toBe(1);
    // Other user names from the same address, and the same user from elsewhere, are still checked.
    expect(await auth.authenticate('server', pw('server-secret'), HOME)).toMatchObject({ allowed: true });
    expect(await auth.authenticate('a.g1', pw('g1-secret'), '198.51.100.7')).toMatchObject({ allowed: true });
    time.now = 1000;
    expect(await auth.authenticate('a.g1', pw('g1-secret'), HOME)).toMatchObject({ allowed: true });
  });

  it('lets remembered credentials in from an address on back-off', async () => {
    const { auth } = authenticator({
      backoff: { failuresBeforeBackoff: 1, usernamesBeforeAddressBackoff: 2 },
    });
    await auth.authenticate('a.g1', pw('g1-secret'), HOME);
    await auth.authenticate('mallory-1', pw('x'), HOME);
    await auth.authenticate('mallory-2', pw('x'), HOME);
    expect(await auth.authenticate('a.g2', pw('g2-secret'), HOME)).toMatchObject({
      code: RefusalCode.authBackoff,
    });
    expect(await auth.authenticate('a.g1', pw('g1-secret'), HOME)).toMatchObject({
      allowed: true,
      via: 'verified',
    });
  });

  it('skips checks that were queued before their address went on back-off', async () => {
    const { auth } = authenticator({
      hashConcurrency: 1,
      hashQueue: 10,
      backoff: { failuresBeforeBackoff: 2 },
    });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => auth.authenticate('a.g1', pw(`guess-${i}`), HOME)),
    );
    const codes = results.map((result) => (result.allowed ? 'allowed' : result.code));
    expect(codes.slice(0, 2)).toEqual([RefusalCode.badPassword, RefusalCode.badPassword]);
    expect(new Set(codes.slice(2))).toEqual(new Set([RefusalCode.authBackoff]));
  });
});
