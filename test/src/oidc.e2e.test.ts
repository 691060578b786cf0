/**
 * Single sign-on in Chromium: the dashboard's "Sign in with ..." button, a real OpenID provider's
 * login and consent pages (oidc-provider), and back to the dashboard signed in, or told why not.
 */
import type { RunningServer } from '@wardline/server';
import { oidcProvidersFromEnv, startServer } from '@wardline/server';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Provider from 'oidc-provider';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from './browser.js';
import { builtDashboard, DEMO_PASSWORD, fleet, freePort, tempDir } from './support.js';

const CLIENT_SECRET = 'e2e-oidc-client-secret-0123456789abcdef';

const people: Record<string, Record<string, unknown>> = {
  'charge-nurse': { name: 'Charge Nurse', email: 'charge.nurse@trust.example', staff_groups: ['ward-leads'] },
  outsider: { name: 'Outsider', email: 'outsider@trust.example', staff_groups: ['estates'] },
};

describe('single sign-on in the browser', () => {
  let idp: Server;
  let server: RunningServer;
  let browser: Browser;
  let wardlineUrl: string;

  beforeAll(async () => {
    idp = createServer();
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    // Another site than Wardline's (localhost, not 127.0.0.1), as an identity provider is: the
    // callback is a cross-site navigation, which only a SameSite=Lax pending cookie survives.
    const issuer = `http://localhost:${(idp.address() as AddressInfo).port}`;
    const port = await freePort();
    wardlineUrl = `http://127.0.0.1:${port}`;

    // A trust's own identity provider: a flat groups claim, one organisation for everyone it signs in.
    const oidcProviders = oidcProvidersFromEnv({
      E2E_OIDC_SECRET: CLIENT_SECRET,
      WARDLINE_OIDC_CONFIG: JSON.stringify({
        providers: [
          {
            id: 'trust',
            name: 'Trust Account',
            issuer,
            clientId: 'wardline-e2e',
            clientSecretEnv: 'E2E_OIDC_SECRET',
            scopes: ['openid', 'profile', 'email', 'groups'],
            organisation: { claim: 'iss', values: { [issuer]: 'org-default' } },
            role: { claim: 'staff_groups', values: { 'ward-leads': 'nurse_in_charge' } },
          },
        ],
      }),
    });
    server = await startServer({
      config: {
        host: '127.0.0.1',
        port,
        publicUrl: wardlineUrl,
        databasePath: join(tempDir('oidc'), 'wardline.db'),
        dashboardDir: builtDashboard,
        mqtt: null,
        demo: true,
        secureCookies: false,
        logLevel: 'silent',
        oidcProviders,
      },
      logger: false,
      demo: { fleet, password: DEMO_PASSWORD, scryptCost: { N: 2 ** 10, r: 8, p: 1 } },
    });

    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: 'wardline-e2e',
          client_secret: CLIENT_SECRET,
          redirect_uris: [`${wardlineUrl}/api/auth/oidc/trust/callback`],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
      pkce: { required: () => true },
      claims: { openid: ['sub'], profile: ['name'], email: ['email'], groups: ['staff_groups'] },
      cookies: { keys: ['e2e-cookie-key-0123456789abcdef'] },
      ttl: { Interaction: 600, Session: 600, Grant: 600, AccessToken: 600, IdToken: 600 },
      findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub, ...people[sub] }) }),
    });
    idp.on('request', provider.callback());
    browser = await launchChromium();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await new Promise((resolve) => idp?.close(resolve));
  });

  /** From the dashboard's button through the provider's own pages, as a person would. */
  async function signInAt(page: Page, login: string) {
    await page.goto(`${wardlineUrl}/`);
    await page.getByTestId('login-provider-trust').click();
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any');
    await page.locator('button[type="submit"]').click();
    await page.getByRole('button', { name: 'Continue' }).click();
  }

  it('signs a nurse in charge in through the trust, with a new account and no password', async () => {
    const page = await browser.newPage();
    await page.goto(`${wardlineUrl}/`);
    expect(await page.getByTestId('login-provider-trust').textContent()).toBe('Sign in with Trust Account');
    await signInAt(page, 'charge-nurse');
    const refusal = page.getByTestId('login-error');
    await page.getByTestId('user-name').or(refusal).waitFor({ timeout: 10_000 });
    expect(await refusal.count(), (await refusal.allTextContents()).join()).toBe(0);
    expect(await page.getByTestId('user-name').textContent()).toBe('Charge Nurse');
    await screenshot(page, 'oidc-signed-in');
    const session = (await page.evaluate(async () => (await fetch('/api/auth/session')).json())) as {
      user: { role: string; organisationId: string; username: string };
    };
    expect(session.user).toMatchObject({ role: 'nurse_in_charge', organisationId: 'org-default' });
    expect((await server.context.users.find(session.user.username))?.passwordHash).toBeNull();
    await page.close();
  });

  it('tells a person whose role gives no access why, and leaves them signed out', async () => {
    const page = await browser.newPage();
    await signInAt(page, 'outsider');
    const error = page.getByTestId('login-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('Your role does not give access to Wardline');
    expect(new URL(page.url()).search).toBe('');
    await screenshot(page, 'oidc-refused');
    const session = (await page.evaluate(async () => (await fetch('/api/auth/session')).json())) as {
      user: unknown;
    };
    expect(session.user).toBeNull();
    await page.close();
  });
});
