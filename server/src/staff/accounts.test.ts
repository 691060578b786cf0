import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { io } from 'socket.io-client';
import type {
  AccountLinkResponse,
  AccountTokenInfo,
  AuditEvent,
  CreateOrganisationResponse,
  LoginResponse,
  Organisation,
  SetPasswordResponse,
  StaffAccount,
  TotpEnrolment,
} from '@wardline/protocol';
import { defaultAlertingConfig } from '../alerts/config.js';
import { totpCode } from '../auth/totp.js';
import { startServer, type RunningServer } from '../server.js';
import { TEST_PASSWORD, testFleet } from '../testing.js';
import { startSmtpPeer, type Mail, type SmtpPeer } from '../testing-smtp.js';
import { defaultAccountsConfig } from './accounts-config.js';
import { inviteOperator } from './operator-command.js';

/** The one-time link in a mail, and in a link the API answered with. */
const tokenIn = (mail: Mail) => /\/set-password#token=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
const tokenOfLink = (link: string | undefined) => /#token=([A-Za-z0-9_-]+)$/.exec(link ?? '')?.[1];

// Passphrases these tests set: long enough, not common, not the user's name.
const NEW_PASSWORD = 'lantern otter quarry mosaic';

describe('staff accounts, invitations and second factors', () => {
  let server: RunningServer;
  let smtp: SmtpPeer;
  let baseUrl: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    smtp = await startSmtpPeer();
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    server = await startServer({
      config: {
        host: '127.0.0.1',
        port: 0,
        databasePath: ':memory:',
        databaseUrl: null,
        dashboardDir: '/nonexistent',
        mqtt: null,
        demo: true,
        secureCookies: false,
        logLevel: 'info',
        alerting: {
          ...defaultAlertingConfig(),
          smtp: smtp.settings('Wardline <accounts@wardline.invalid>'),
        },
        accounts: defaultAccountsConfig(),
      },
      logger: { level: 'info', stream },
      demo: { fleet: testFleet, password: TEST_PASSWORD, scryptCost: { N: 2 ** 10, r: 8, p: 1 } },
    });
    baseUrl = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server?.close();
    await smtp?.close();
  });

  async function call<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: { token?: string; body?: unknown } = {},
  ): Promise<{ status: number; body: T & { code?: string; message?: string } }> {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: (text ? JSON.parse(text) : {}) as T & { code?: string; message?: string },
    };
  }
  async function signIn(username: string, password = TEST_PASSWORD, totp?: string) {
    return call<LoginResponse>('POST', '/api/auth/login', {
      body: { username, password, ...(totp ? { totp } : {}) },
    });
  }
  async function tokenFor(username: string, password = TEST_PASSWORD): Promise<string> {
    const res = await signIn(username, password);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.token;
  }
  const audit = (action: string) =>
    server.context.sql.all<Pick<AuditEvent, 'actor' | 'targetId' | 'organisationId'>>(
      `SELECT actor, target_id AS "targetId", organisation_id AS "organisationId" FROM audit_events WHERE action = ?`,
      [action],
    );

  it('invites a nurse by e-mail through a real SMTP peer; the link sets the password once and signs in', async () => {
    const admin = await tokenFor('admin');
    const invite = await call<AccountLinkResponse>('POST', '/api/staff', {
      token: admin,
      body: {
        email: 'Jo.Bloggs@example.nhs.uk',
        displayName: 'Jo Bloggs',
        role: 'nurse',
        wardIds: ['ward-a'],
      },
    });
    expect(invite.status).toBe(201);
    expect(invite.body).toMatchObject({
      emailed: true,
      account: { username: 'jo.bloggs', pending: true, wardIds: ['ward-a'] },
    });
    expect(invite.body.link).toBeUndefined(); // e-mailed: never shown to the admin as well

    const mail = smtp.mailbox.find((m) => m.to.includes('jo.bloggs@example.nhs.uk'));
    expect(mail).toBeDefined();
    const token = tokenIn(mail!)!;
    expect(token).toBeTruthy();

    const info = await call<AccountTokenInfo>('POST', '/api/auth/account-token/inspect', { body: { token } });
    expect(info.body).toMatchObject({
      valid: true,
      purpose: 'invite',
      username: 'jo.bloggs',
      displayName: 'Jo Bloggs',
    });

    // A weak password is refused in words, and the link still works afterwards.
    const weak = await call('POST', '/api/auth/set-password', { body: { token, password: 'Password2024!' } });
    expect(weak.status).toBe(400);
    expect(weak.body).toMatchObject({
      code: 'WL_WEAK_PASSWORD',
      message: expect.stringMatching(/commonly used/),
    });
    const named = await call('POST', '/api/auth/set-password', {
      body: { token, password: 'jo.bloggs 2026!!' },
    });
    expect(named.body).toMatchObject({
      code: 'WL_WEAK_PASSWORD',
      message: expect.stringMatching(/too close/),
    });

    const set = await call<SetPasswordResponse>('POST', '/api/auth/set-password', {
      body: { token, password: NEW_PASSWORD },
    });
    expect(set.status).toBe(200);
    expect(set.body.user).toMatchObject({ username: 'jo.bloggs', role: 'nurse', wardIds: ['ward-a'] });
    expect((await call('GET', '/api/auth/me', { token: set.body.token! })).body).toMatchObject({
      username: 'jo.bloggs',
    });
    expect((await signIn('jo.bloggs', NEW_PASSWORD)).status).toBe(200);

    // Single use.
    expect(
      (await call('POST', '/api/auth/set-password', { body: { token, password: 'another long passphrase' } }))
        .body.code,
    ).toBe('WL_BAD_ACCOUNT_TOKEN');
    expect((await call('POST', '/api/auth/account-token/inspect', { body: { token } })).body).toEqual({
      valid: false,
    });

    const staff = (await call<StaffAccount[]>('GET', '/api/staff', { token: admin })).body;
    expect(staff.find((s) => s.username === 'jo.bloggs')).toMatchObject({
      pending: false,
      email: 'jo.bloggs@example.nhs.uk',
    });
    expect(await audit('staff.invite')).toContainEqual(
      expect.objectContaining({ actor: 'admin', targetId: 'jo.bloggs' }),
    );
    expect(await audit('staff.password-set')).toContainEqual(
      expect.objectContaining({ targetId: 'jo.bloggs' }),
    );

    // Neither the token nor the e-mail address is ever logged.
    const log = logLines.join('');
    expect(log).toContain('staff invited');
    expect(log).not.toContain(token);
    expect(log.toLowerCase()).not.toContain('jo.bloggs@example');
  });

  it('hands the link to the admin when asked not to e-mail it, and refuses an expired link', async () => {
    const admin = await tokenFor('admin');
    const before = smtp.mailbox.length;
    const invite = await call<AccountLinkResponse>('POST', '/api/staff', {
      token: admin,
      body: { email: 'sam@example.org', displayName: 'Sam Patel', role: 'nurse_in_charge', sendEmail: false },
    });
    expect(invite.body).toMatchObject({ emailed: false, account: { username: 'sam', pending: true } });
    expect(invite.body.link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/set-password#token=/);
    expect(smtp.mailbox.length).toBe(before);
    // Sent again to someone who never used it: a fresh invitation (a week), not an hour's reset, by e-mail.
    const again = await call<AccountLinkResponse>('POST', '/api/staff/sam/reset-password', { token: admin });
    expect(again.body.emailed).toBe(true);
    expect(Date.parse(again.body.expiresAt) - Date.now()).toBeGreaterThan(6 * 24 * 3600_000);
    const resent = tokenIn(smtp.mailbox.at(-1)!)!;
    const inspect = async (token: string | undefined) =>
      (await call('POST', '/api/auth/account-token/inspect', { body: { token } })).body;
    expect(await inspect(resent)).toMatchObject({ valid: true, purpose: 'invite', username: 'sam' });
    expect(await inspect(tokenOfLink(invite.body.link))).toEqual({ valid: false });

    // The same e-mail address cannot be invited twice; a taken user name gets a number.
    expect(
      (
        await call('POST', '/api/staff', {
          token: admin,
          body: { email: 'SAM@example.org', displayName: 'x', role: 'nurse', sendEmail: false },
        })
      ).status,
    ).toBe(409);
    const other = await call<AccountLinkResponse>('POST', '/api/staff', {
      token: admin,
      body: { email: 'sam@example.net', displayName: 'Sam Other', role: 'nurse', sendEmail: false },
    });
    expect(other.body.account.username).toBe('sam2');

    // A week and a day later, the invitation no longer works.
    const { token } = await server.context.accounts.tokens.issue(
      'sam',
      'invite',
      'admin',
      new Date(Date.now() - 8 * 24 * 3600_000),
    );
    expect((await call('POST', '/api/auth/account-token/inspect', { body: { token } })).body).toEqual({
      valid: false,
    });
    expect(
      (await call('POST', '/api/auth/set-password', { body: { token, password: NEW_PASSWORD } })).body.code,
    ).toBe('WL_BAD_ACCOUNT_TOKEN');
    // Issuing it voided the link sent before.
    expect(await inspect(resent)).toEqual({ valid: false });
    // Wards of another organisation, or none at all, are refused.
    expect(
      (
        await call('POST', '/api/staff', {
          token: admin,
          body: { email: 'z@example.org', displayName: 'Z', role: 'nurse', wardIds: ['no-such-ward'] },
        })
      ).status,
    ).toBe(400);
  });

  it('enrols TOTP, then asks for a code at sign-in, refuses replayed codes and throttles guesses', async () => {
    const nurse = await tokenFor('nurse');
    const enrolment = await call<TotpEnrolment>('POST', '/api/auth/totp/enrol', { token: nurse });
    expect(enrolment.body.uri).toMatch(/^otpauth:\/\/totp\/Wardline:nurse\?/);
    const { secret } = enrolment.body;
    expect(
      (
        await call('POST', '/api/auth/totp/confirm', {
          token: nurse,
          body: { code: totpCode(secret, Date.now() + 600_000) },
        })
      ).body.code,
    ).toBe('WL_BAD_TOTP_CODE');
    const now = totpCode(secret);
    expect((await call('POST', '/api/auth/totp/confirm', { token: nurse, body: { code: now } })).status).toBe(
      200,
    );
    expect((await call('POST', '/api/auth/totp/enrol', { token: nurse })).status).toBe(409);

    expect((await signIn('nurse')).body.code).toBe('WL_SECOND_FACTOR_REQUIRED');
    expect((await signIn('nurse', TEST_PASSWORD, now)).body.code).toBe('WL_BAD_TOTP_CODE'); // replay of the code just used
    const next = totpCode(secret, Date.now() + 30_000);
    const signedIn = await signIn('nurse', TEST_PASSWORD, next);
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.secondFactor).toBe('totp');
    expect((await signIn('nurse', TEST_PASSWORD, next)).body.code).toBe('WL_BAD_TOTP_CODE'); // and again

    // Wrong codes count like wrong passwords: the name is locked after five.
    const wrong = totpCode(secret, Date.now() + 3_600_000);
    for (let i = 0; i < 5; i++) await signIn('nurse', TEST_PASSWORD, wrong);
    expect((await signIn('nurse', TEST_PASSWORD, totpCode(secret))).status).toBe(429);
    await server.context.signInThrottle.lift('user', 'nurse');
    await server.context.signInThrottle.lift('address', '127.0.0.1');

    // The stored secret is not the one in the app when a secrets key is set; without one it is marked plain.
    const stored = await server.context.sql.get<{ s: string }>(
      `SELECT totp_secret AS s FROM users WHERE username = 'nurse'`,
    );
    expect(stored?.s).toBe(`plain:${secret}`);

    // An admin resets a lost second factor: the nurse signs in with the password alone again.
    const admin = await tokenFor('admin');
    expect(
      (await call<StaffAccount>('DELETE', '/api/staff/nurse/totp', { token: admin })).body.totpEnabled,
    ).toBe(false);
    expect((await signIn('nurse')).status).toBe(200);
    expect(await audit('staff.totp-reset')).toHaveLength(1);
  });

  it('disabling a nurse ends their sessions and live connections at once; enabling lets them back', async () => {
    const admin = await tokenFor('admin');
    const nurse = await tokenFor('nurse');
    const socket = io(baseUrl, { auth: { token: nurse }, transports: ['websocket'], reconnection: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    expect((await socket.emitWithAck('joinWard', 'ward-a')).ok).toBe(true);
    const cut = new Promise<number>((resolve) => socket.once('disconnect', () => resolve(Date.now())));
    const started = Date.now();
    expect((await call('POST', '/api/staff/admin/disable', { token: admin })).status).toBe(409); // not oneself
    const disabled = await call<StaffAccount>('POST', '/api/staff/nurse/disable', { token: admin });
    expect(disabled.body.disabledAt).not.toBeNull();
    expect((await cut) - started).toBeLessThan(2000);
    expect((await call('GET', '/api/wards', { token: nurse })).status).toBe(401);
    expect((await signIn('nurse')).body.code).toBe('WL_ACCOUNT_DISABLED');
    expect((await call('POST', '/api/staff/nurse/enable', { token: admin })).status).toBe(200);
    expect((await signIn('nurse')).status).toBe(200);
    expect((await audit('staff.disable')).map((e) => e.targetId)).toContain('nurse');

    // Limiting the nurse to some wards cuts the live feed (it may carry another ward) but signs nobody out.
    const again = await tokenFor('nurse');
    const feed = io(baseUrl, { auth: { token: again }, transports: ['websocket'], reconnection: false });
    await new Promise<void>((resolve, reject) => {
      feed.once('connect', () => resolve());
      feed.once('connect_error', reject);
    });
    const feedCut = new Promise<void>((resolve) => feed.once('disconnect', () => resolve()));
    const limited = await call<StaffAccount>('PATCH', '/api/staff/nurse', {
      token: admin,
      body: { wardIds: ['ward-a'] },
    });
    expect(limited.body.wardIds).toEqual(['ward-a']);
    await feedCut;
    expect((await call('GET', '/api/auth/me', { token: again })).body).toMatchObject({ wardIds: ['ward-a'] });
    expect((await call('PATCH', '/api/staff/nurse', { token: admin, body: { wardIds: null } })).status).toBe(
      200,
    );
  });

  it('a password reset stops the old password and sessions at once; the new link signs in', async () => {
    const admin = await tokenFor('admin');
    const family = await tokenFor('family');
    expect((await call('POST', '/api/staff/family/reset-password', { token: admin })).status).toBe(404); // not staff
    const nurseSession = await tokenFor('nurse');
    const reset = await call<AccountLinkResponse>('POST', '/api/staff/nurse/reset-password', {
      token: admin,
    });
    // The demo nurse has no e-mail address: the link comes back to the admin.
    expect(reset.body).toMatchObject({ emailed: false, account: { username: 'nurse', pending: true } });
    expect(Date.parse(reset.body.expiresAt) - Date.now()).toBeLessThanOrEqual(3600_000);
    expect((await call('GET', '/api/wards', { token: nurseSession })).status).toBe(401);
    expect((await signIn('nurse')).body.code).toBe('WL_BAD_CREDENTIALS');
    const set = await call<SetPasswordResponse>('POST', '/api/auth/set-password', {
      body: { token: tokenOfLink(reset.body.link), password: NEW_PASSWORD },
    });
    expect(set.body.token).toBeTruthy();
    expect((await signIn('nurse', NEW_PASSWORD)).status).toBe(200);
    expect((await call('GET', '/api/auth/me', { token: family })).status).toBe(200);
    expect((await audit('staff.reset')).map((e) => e.targetId)).toContain('nurse');
  });

  it('keeps the last active admin of an organisation', async () => {
    const admin = await tokenFor('admin');
    const demote = await call('PATCH', '/api/staff/admin', { token: admin, body: { role: 'nurse' } });
    expect(demote.status).toBe(409);
    expect(demote.body.message).toMatch(/last active admin/);
    // With a second admin, the first may be demoted (by either).
    const second = await call<AccountLinkResponse>('POST', '/api/staff', {
      token: admin,
      body: { email: 'deputy@example.org', displayName: 'Deputy Admin', role: 'admin', sendEmail: false },
    });
    await call('POST', '/api/auth/set-password', {
      body: { token: tokenOfLink(second.body.link), password: NEW_PASSWORD },
    });
    const deputy = await tokenFor('deputy', NEW_PASSWORD);
    expect(
      (
        await call('PATCH', '/api/staff/nurse', {
          token: deputy,
          body: { role: 'nurse_in_charge', displayName: 'Demo Nurse In Charge' },
        })
      ).body,
    ).toMatchObject({
      role: 'nurse_in_charge',
      displayName: 'Demo Nurse In Charge',
    });
    expect(await audit('staff.role-change')).toContainEqual(
      expect.objectContaining({ actor: 'deputy', targetId: 'nurse' }),
    );
    expect((await call('POST', '/api/staff/admin/disable', { token: deputy })).status).toBe(200);
    expect((await call('POST', '/api/users/deputy/disable', { token: deputy })).status).toBe(409);
    expect((await call('POST', '/api/staff/admin/enable', { token: deputy })).status).toBe(200);
  });

  it('an operator creates an organisation; its admin sees and changes only its own staff, and can require TOTP', async () => {
    const operatorLink = await inviteOperator(server.context.sql, {
      email: 'ops@example.org',
      displayName: 'Operator',
      publicUrl: baseUrl,
    });
    const opSet = await call<SetPasswordResponse>('POST', '/api/auth/set-password', {
      body: { token: tokenOfLink(operatorLink.link), password: NEW_PASSWORD },
    });
    const operator = opSet.body.token!;
    expect(opSet.body.user).toMatchObject({ role: 'operator', organisationId: null });
    // An operator sees organisations, not clinical records or staff.
    expect((await call('GET', '/api/staff', { token: operator })).status).toBe(403);
    expect((await call('GET', '/api/wards', { token: operator })).status).toBeGreaterThanOrEqual(403);

    const created = await call<CreateOrganisationResponse>('POST', '/api/organisations', {
      token: operator,
      body: {
        name: 'Riverside Care Homes',
        admin: { email: 'boss@riverside.example', displayName: 'Riverside Admin' },
      },
    });
    expect(created.status).toBe(201);
    const orgB = created.body.organisation;
    expect(created.body.admin).toMatchObject({
      emailed: true,
      account: { username: 'boss', role: 'admin', organisationId: orgB.id },
    });
    const mail = smtp.mailbox.find((m) => m.to.includes('boss@riverside.example'))!;
    expect(mail.text).toContain('Riverside Care Homes');
    const setB = await call<SetPasswordResponse>('POST', '/api/auth/set-password', {
      body: { token: tokenIn(mail), password: 'riverside heron willow 9' },
    });
    expect(setB.body.secondFactor).toBe('none');
    const adminB = setB.body.token!;
    expect(await audit('organisation.create')).toContainEqual(
      expect.objectContaining({ actor: 'ops', organisationId: orgB.id }),
    );

    // Each organisation's admin sees only their own: the other's accounts are answered 404.
    expect(
      (await call<Organisation[]>('GET', '/api/organisations', { token: adminB })).body.map((o) => o.id),
    ).toEqual([orgB.id]);
    expect(
      (await call<Organisation[]>('GET', '/api/organisations', { token: operator })).body.length,
    ).toBeGreaterThanOrEqual(2);
    expect(
      (await call<StaffAccount[]>('GET', '/api/staff', { token: adminB })).body.map((s) => s.username),
    ).toEqual(['boss']);
    expect((await call('GET', '/api/users', { token: adminB })).body).toEqual([
      expect.objectContaining({ username: 'boss' }),
    ]);
    for (const [method, path, body] of [
      ['PATCH', '/api/staff/nurse', { role: 'admin' }],
      ['POST', '/api/staff/nurse/disable', undefined],
      ['POST', '/api/staff/nurse/reset-password', undefined],
      ['DELETE', '/api/staff/nurse/totp', undefined],
      ['POST', '/api/users/nurse/disable', undefined],
      ['POST', '/api/users/nurse/enable', undefined],
      ['PATCH', '/api/organisations/org-default', { name: 'Taken over' }],
    ] as const)
      expect(
        (await call(method, path, { token: adminB, ...(body ? { body } : {}) })).status,
        `${method} ${path}`,
      ).toBe(404);
    const adminA = await tokenFor('admin');
    expect((await call('POST', '/api/staff/boss/disable', { token: adminA })).status).toBe(404);
    expect(
      (
        await call('POST', '/api/staff', {
          token: adminB,
          body: {
            email: 'n@riverside.example',
            displayName: 'N',
            role: 'nurse',
            wardIds: ['ward-a'],
            sendEmail: false,
          },
        })
      ).status,
    ).toBe(400);

    // The organisation requires admins to use a second factor: the next sign-in may only enrol.
    expect(
      (
        await call('PATCH', `/api/organisations/${orgB.id}`, {
          token: operator,
          body: { requireAdminTotp: true },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await call<Organisation>('PATCH', `/api/organisations/${orgB.id}`, {
          token: adminB,
          body: { requireAdminTotp: true },
        })
      ).body.requireAdminTotp,
    ).toBe(true);
    const limited = await signIn('boss', 'riverside heron willow 9');
    expect(limited.body.secondFactor).toBe('enrol-required');
    const restricted = await call('GET', '/api/staff', { token: limited.body.token });
    expect(restricted).toMatchObject({ status: 403, body: { code: 'WL_SECOND_FACTOR_ENROLMENT_REQUIRED' } });
    expect((await call('GET', '/api/auth/session', { token: limited.body.token })).body).toMatchObject({
      secondFactor: 'enrol-required',
    });
    const liveRefused = await new Promise<string>((resolve) => {
      const socket = io(baseUrl, {
        auth: { token: limited.body.token },
        transports: ['websocket'],
        reconnection: false,
      });
      socket.once('connect', () => resolve('connected'));
      socket.once('connect_error', (error) =>
        resolve((error as Error & { data?: { code?: string } }).data?.code ?? ''),
      );
    });
    expect(liveRefused).toBe('WL_UNAUTHENTICATED');
    const enrolment = await call<TotpEnrolment>('POST', '/api/auth/totp/enrol', {
      token: limited.body.token,
    });
    await call('POST', '/api/auth/totp/confirm', {
      token: limited.body.token,
      body: { code: totpCode(enrolment.body.secret) },
    });
    expect((await call('GET', '/api/staff', { token: limited.body.token })).status).toBe(200);

    // Closing the organisation ends its people's sessions.
    expect(
      (await call<Organisation>('POST', `/api/organisations/${orgB.id}/close`, { token: operator })).body
        .closedAt,
    ).not.toBeNull();
    expect((await call('GET', '/api/auth/me', { token: limited.body.token })).status).toBe(401);
  });
});
