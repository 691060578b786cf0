import { SESSION_COOKIE, type SessionUser } from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../app.js';
import type { ServerContext } from '../../context.js';
import { TEST_PASSWORD, testContext } from '../../testing.js';
import { oidcProvidersFromEnv, type OidcProviderConfig } from './config.js';
import { MAX_PENDING_PER_ADDRESS, createRelyingParty } from './relying-party.js';

/**
 * Sign-in through a real OpenID provider (oidc-provider, with its own login and consent pages),
 * driven as a browser would: every redirect followed by hand, with a cookie jar.
 */

/** What the identity provider says about each person, CIS2-shaped: role assignments with an ODS code. */
const people: Record<string, Record<string, unknown>> = {
  'ward-nurse': {
    name: 'Test Nurse',
    email: 'test.nurse@trust.example',
    nhsid_nrbac_roles: [{ org_code: 'RX1', role_code: 'R8001' }],
  },
  'other-trust': {
    name: 'Elsewhere Nurse',
    email: 'elsewhere@other.example',
    nhsid_nrbac_roles: [{ org_code: 'ZZ9', role_code: 'R8001' }],
  },
  porter: {
    name: 'Test Porter',
    email: 'porter@trust.example',
    nhsid_nrbac_roles: [{ org_code: 'RX1', role_code: 'R9999' }],
  },
};

let idp: Server;
let idpUrl: string;
let app: FastifyInstance;
let wardlineUrl: string;
let context: ServerContext;
let testProvider: OidcProviderConfig;

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  idp = createServer();
  idpUrl = `http://127.0.0.1:${await listen(idp)}`;

  context = await testContext();
  // A provider whose issuer does not answer: a port that was free a moment ago.
  const gone = createServer();
  const gonePort = await listen(gone);
  await new Promise((resolve) => gone.close(resolve));
  const providers = oidcProvidersFromEnv({
    TEST_IDP_SECRET: 'a-client-secret-of-sufficient-length-0123456789',
    WARDLINE_OIDC_CONFIG: JSON.stringify({
      providers: [
        {
          id: 'test-idp',
          name: 'Test Trust Login',
          issuer: idpUrl,
          clientId: 'wardline',
          clientSecretEnv: 'TEST_IDP_SECRET',
          scopes: ['openid', 'profile', 'email', 'nationalrbacaccess'],
          organisation: { claim: 'nhsid_nrbac_roles.org_code', values: { RX1: 'org-default' } },
          role: { claim: 'nhsid_nrbac_roles.role_code', values: { R8001: 'nurse', R8000: 'admin' } },
        },
        {
          id: 'down',
          name: 'Unreachable Login',
          issuer: `http://127.0.0.1:${gonePort}`,
          clientId: 'wardline',
          clientSecretEnv: 'TEST_IDP_SECRET',
          organisation: { claim: 'org', values: { RX1: 'org-default' } },
          role: { claim: 'role', values: { R8001: 'nurse' } },
        },
      ],
    }),
  });
  testProvider = providers[0]!;
  let publicUrl = '';
  app = await buildApp({ context, publicUrl: () => publicUrl, oidcProviders: providers });
  await app.listen({ host: '127.0.0.1', port: 0 });
  publicUrl = wardlineUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  const provider = new Provider(idpUrl, {
    clients: [
      {
        client_id: 'wardline',
        client_secret: providers[0]!.clientSecret,
        redirect_uris: [`${wardlineUrl}/api/auth/oidc/test-idp/callback`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    pkce: { required: () => true },
    claims: {
      openid: ['sub'],
      profile: ['name'],
      email: ['email'],
      nationalrbacaccess: ['nhsid_nrbac_roles'],
    },
    cookies: { keys: ['test-cookie-key-0123456789abcdef'] },
    ttl: { Interaction: 600, Session: 600, Grant: 600, AccessToken: 600, IdToken: 600 },
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub, ...people[sub] }) }),
  });
  idp.on('request', provider.callback());
}, 20_000);

afterAll(async () => {
  await app?.close();
  await new Promise((resolve) => idp?.close(resolve));
});

type Jar = Map<string, string>;
/** The latest Set-Cookie header seen for each cookie name, attributes and all. */
const lastSetCookie = new Map<string, string>();

function remember(jar: Jar, response: Response) {
  for (const header of response.headers.getSetCookie()) {
    lastSetCookie.set(header.slice(0, header.indexOf('=')), header);
    const [pair] = header.split(';');
    const at = pair!.indexOf('=');
    const [name, value] = [pair!.slice(0, at), pair!.slice(at + 1)];
    if (value === '' || /expires=Thu, 01 Jan 1970/i.test(header)) jar.delete(name);
    else jar.set(name, value);
  }
}

async function request(jar: Jar, url: string, form?: Record<string, string>): Promise<Response> {
  const response = await fetch(url, {
    method: form ? 'POST' : 'GET',
    redirect: 'manual',
    headers: {
      cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
      ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    ...(form ? { body: new URLSearchParams(form).toString() } : {}),
  });
  remember(jar, response);
  return response;
}

/**
 * Sign in as `login` at the identity provider, from the Wardline button to the dashboard. Returns
 * where Wardline sent the browser, and its session cookie if it set one.
 */
async function signIn(
  login: string,
  tamper?: (callback: URL, jar: Jar) => void,
  { cancel = false }: { cancel?: boolean } = {},
) {
  const jar: Jar = new Map();
  let url = `${wardlineUrl}/api/auth/oidc/test-idp/start`;
  let form: Record<string, string> | undefined;
  for (let step = 0; step < 20; step++) {
    if (url.startsWith(`${wardlineUrl}/api/auth/oidc/test-idp/callback`) && tamper) {
      const callback = new URL(url);
      tamper(callback, jar);
      url = callback.href;
    }
    const response = await request(jar, url, form);
    form = undefined;
    const location = response.headers.get('location');
    if (location) {
      url = new URL(location, url).href;
      if (url === `${wardlineUrl}/` || url.startsWith(`${wardlineUrl}/?`))
        return { landing: new URL(url), session: jar.get(SESSION_COOKIE) };
      continue;
    }
    // The identity provider's own pages: a login form, then a consent form, each posted back.
    const page = await response.text();
    expect(response.status, page).toBe(200);
    if (cancel) {
      // The provider's own "[ Cancel ]" link: it answers the callback with error=access_denied.
      url = new URL(/href="([^"]+\/abort)"/.exec(page)![1]!, url).href;
      continue;
    }
    const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1];
    const action = /action="([^"]+)"/.exec(page)?.[1];
    expect(prompt && action, page).toBeTruthy();
    url = new URL(action!, url).href;
    form = prompt === 'login' ? { prompt, login, password: 'any' } : { prompt: prompt! };
  }
  throw new Error('sign-in did not finish in 20 steps');
}

async function sessionOf(token: string | undefined): Promise<SessionUser | null> {
  const response = await fetch(`${wardlineUrl}/api/auth/session`, {
    headers: { cookie: `${SESSION_COOKIE}=${token}` },
  });
  return ((await response.json()) as { user: SessionUser | null }).user;
}

async function auditOf(action: string) {
  return (
    await context.sql.all<{ actor: string; organisationId: string | null; detail: string }>(
      `SELECT actor, organisation_id AS "organisationId", detail_json AS detail FROM audit_events WHERE action = ? ORDER BY id`,
      [action],
    )
  ).map((row) => ({ ...row, detail: JSON.parse(row.detail) as Record<string, unknown> }));
}

describe('single sign-on with OpenID Connect', () => {
  it('lists the configured provider for the sign-in screen', async () => {
    const response = await fetch(`${wardlineUrl}/api/auth/providers`);
    expect(await response.json()).toEqual([
      { id: 'test-idp', name: 'Test Trust Login' },
      { id: 'down', name: 'Unreachable Login' },
    ]);
  });

  it('signs in a nurse of a mapped organisation, creating the account on first sign-in', async () => {
    const { landing, session } = await signIn('ward-nurse');
    expect(landing.search).toBe('');
    const user = await sessionOf(session);
    expect(user).toMatchObject({ role: 'nurse', organisationId: 'org-default', displayName: 'Test Nurse' });

    const me = await fetch(`${wardlineUrl}/api/auth/me`, {
      headers: { cookie: `${SESSION_COOKIE}=${session}` },
    });
    expect(me.status).toBe(200);
    const account = (await context.users.find(user!.username))!;
    expect(account.passwordHash).toBeNull();
    expect(account.email).toBe('test.nurse@trust.example');
    expect((await auditOf('auth.sign-in')).at(-1)).toMatchObject({
      actor: user!.username,
      organisationId: 'org-default',
      detail: { method: 'oidc', provider: 'test-idp', accountCreated: true },
    });
  });

  it('sets the same session cookie attributes as a password sign-in', async () => {
    const attributes = (header: string | undefined) =>
      (header ?? '')
        .split(';')
        .slice(1)
        .map((a) => a.trim())
        .sort();
    await signIn('ward-nurse');
    const viaOidc = attributes(lastSetCookie.get(SESSION_COOKIE));
    const login = await fetch(`${wardlineUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'nurse', password: TEST_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const viaPassword = attributes(
      login.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`)),
    );
    expect(viaOidc).toEqual(expect.arrayContaining(['HttpOnly', 'Path=/', 'SameSite=Strict']));
    expect(viaOidc).toEqual(viaPassword);
  });

  it('signs the same person into the same account again, with the role the provider now gives', async () => {
    const first = await sessionOf((await signIn('ward-nurse')).session);
    people['ward-nurse']!.nhsid_nrbac_roles = [{ org_code: 'RX1', role_code: 'R8000' }];
    try {
      const second = await sessionOf((await signIn('ward-nurse')).session);
      expect(second).toMatchObject({ username: first!.username, role: 'admin' });
      const accounts = await context.sql.get<{ n: number }>(
        `SELECT count(*) AS n FROM users WHERE email = 'test.nurse@trust.example'`,
      );
      expect(accounts?.n).toBe(1);
    } finally {
      people['ward-nurse']!.nhsid_nrbac_roles = [{ org_code: 'RX1', role_code: 'R8001' }];
    }
  });

  it('refuses a person whose organisation is not mapped, with no session and an audit event', async () => {
    const before = (await auditOf('auth.oidc-refused')).length;
    const { landing, session } = await signIn('other-trust');
    expect(landing.searchParams.get('signInError')).toBe('WL_OIDC_UNKNOWN_ORGANISATION');
    expect(session).toBeUndefined();
    expect((await auditOf('auth.oidc-refused')).slice(before)).toEqual([
      expect.objectContaining({
        actor: 'system',
        detail: { provider: 'test-idp', code: 'WL_OIDC_UNKNOWN_ORGANISATION' },
      }),
    ]);
    expect(
      await context.sql.get(`SELECT 1 FROM users WHERE email = 'elsewhere@other.example'`),
    ).toBeUndefined();
  });

  it('refuses a person whose role gives no access to Wardline', async () => {
    const { landing, session } = await signIn('porter');
    expect(landing.searchParams.get('signInError')).toBe('WL_OIDC_UNKNOWN_ROLE');
    expect(session).toBeUndefined();
    expect((await auditOf('auth.oidc-refused')).at(-1)).toMatchObject({
      organisationId: 'org-default',
      detail: { code: 'WL_OIDC_UNKNOWN_ROLE' },
    });
  });

  it('refuses a callback whose state was tampered with, and does not sign in', async () => {
    const { landing, session } = await signIn('ward-nurse', (callback) =>
      callback.searchParams.set('state', 'forged-state'),
    );
    expect(landing.searchParams.get('signInError')).toBe('WL_OIDC_BAD_STATE');
    expect(session).toBeUndefined();
  });

  it('refuses a callback brought to another browser than the one that started the sign-in', async () => {
    // Login cross-site request forgery: someone else's code and state, without this browser's handle.
    const { landing, session } = await signIn('ward-nurse', (_callback, jar) => jar.delete('wardline_oidc'));
    expect(landing.searchParams.get('signInError')).toBe('WL_OIDC_BAD_STATE');
    expect(session).toBeUndefined();
  });

  it('sends a person who cancels at the identity provider back to sign in, with no session', async () => {
    const { landing, session } = await signIn('ward-nurse', undefined, { cancel: true });
    expect(landing.searchParams.get('signInError')).toBe('WL_OIDC_IDP_ERROR');
    expect(session).toBeUndefined();
  });

  it('says the identity provider cannot be reached, and keeps serving everything else', async () => {
    const response = await fetch(`${wardlineUrl}/api/auth/oidc/down/start`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(new URL(response.headers.get('location')!).searchParams.get('signInError')).toBe(
      'WL_OIDC_PROVIDER_UNAVAILABLE',
    );
    expect((await fetch(`${wardlineUrl}/api/auth/providers`)).status).toBe(200);
  });

  it('refuses a disabled account even though the identity provider vouches for the person', async () => {
    const { session } = await signIn('ward-nurse');
    const username = (await sessionOf(session))!.username;
    await context.users.disable(username);
    try {
      const again = await signIn('ward-nurse');
      expect(again.landing.searchParams.get('signInError')).toBe('WL_OIDC_ACCOUNT_DISABLED');
      expect(again.session).toBeUndefined();
      expect(await sessionOf(session)).toBeNull();
    } finally {
      await context.users.enable(username);
    }
  });

  it('keeps a person’s sign-in in progress while another address starts ten thousand', async () => {
    const party = createRelyingParty(testProvider);
    const redirect = `${wardlineUrl}/api/auth/oidc/test-idp/callback`;
    const mine = await party.start(redirect, '10.0.0.1');
    const flood = [];
    for (let i = 0; i < 10_050; i++) flood.push(await party.start(redirect, '10.0.0.2'));
    // The answer to my sign-in still finds its pending state (the IdP said no: a state, not a forgery).
    const answer = (started: { url: URL }) =>
      new URL(`${redirect}?error=access_denied&state=${started.url.searchParams.get('state')}`);
    expect(await party.callback(answer(mine), mine.handle)).toMatchObject({
      code: 'WL_OIDC_IDP_ERROR',
    });
    // The flooding address keeps only its newest few.
    const newest = flood.at(-1)!;
    expect(await party.callback(answer(newest), newest.handle)).toMatchObject({ code: 'WL_OIDC_IDP_ERROR' });
    const evicted = flood.at(-1 - MAX_PENDING_PER_ADDRESS)!;
    expect(await party.callback(answer(evicted), evicted.handle)).toMatchObject({
      code: 'WL_OIDC_BAD_STATE',
    });
  });

  it('still signs in local accounts with a password', async () => {
    const response = await fetch(`${wardlineUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: wardlineUrl },
      body: JSON.stringify({ username: 'nurse', password: 'correct horse battery staple' }),
    });
    expect(response.status).toBe(200);
  });
});
