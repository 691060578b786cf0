import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { registeredRoutes, testContext } from './testing.js';

/** Open on purpose: signing in and out, and what load balancers and monitoring read. */
const PUBLIC = new Set([
  'POST /api/auth/login',
  'POST /api/auth/logout',
  // Answers { user: null } when signed out: the dashboard's check on load (who, never what).
  'GET /api/auth/session',
  // A one-time link's holder is not signed in yet: the token in the body is the credential.
  'POST /api/auth/account-token/inspect',
  'POST /api/auth/set-password',
  // Single sign-on: the sign-in screen's buttons, and the way to the identity provider and back.
  'GET /api/auth/providers',
  'GET /api/auth/oidc/:provider/start',
  'GET /api/auth/oidc/:provider/callback',
  'GET /api/health',
  'GET /metrics',
  'GET /',
]);

export { registeredRoutes };

describe('authentication comes before everything else a route does', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp({ context: await testContext() });
    await app.ready();
  });
  afterAll(() => app.close());

  it('answers 401 to an unauthenticated request with a garbage body or query, on every route', async () => {
    const routes = registeredRoutes(app).filter((r) => !PUBLIC.has(`${r.method} ${r.url}`));
    // The table is the app's own: a route added tomorrow is checked without editing this test.
    expect(routes.length).toBeGreaterThan(30);
    expect(routes).toContainEqual({ method: 'PUT', url: '/api/patients/:patientId/thresholds' });
    const answers = await Promise.all(
      routes.map(async ({ method, url }) => {
        // Parameters that fail their own schemas (alert ids are integers): validation must not run first.
        const path = url.replace(/:[A-Za-z]+/g, 'not-valid');
        const res = await app.inject({
          method: method as 'GET',
          url: `${path}?limit=-1&kind=%00&patient=`,
          ...(method === 'GET' || method === 'DELETE'
            ? {}
            : { headers: { 'content-type': 'application/json' }, payload: '{"unterminated": ' }),
        });
        return `${method} ${url} -> ${res.statusCode} ${(res.json() as { code?: string }).code}`;
      }),
    );
    expect(answers.filter((a) => !a.endsWith('-> 401 WL_UNAUTHENTICATED'))).toEqual([]);
  });

  it('finds the routes in the tree fastify prints', () => {
    const routes = registeredRoutes(app).map((r) => `${r.method} ${r.url}`);
    expect(routes).toEqual(
      expect.arrayContaining([
        'POST /api/auth/login',
        'DELETE /api/admin/sign-in-locks/:username',
        'DELETE /api/admin/sign-in-locks/addresses/:address',
        'POST /api/patients/:patientId/discharge',
        'PUT /api/patients/:patientId/contacts/:contactId',
        'GET /fhir/Observation/:id',
      ]),
    );
  });
});

describe('the client address behind a reverse proxy', () => {
  async function signInEventAddress(trustProxyHops: number): Promise<string | null> {
    const context = await testContext();
    const app = await buildApp({ context, trustProxyHops });
    await app.ready();
    try {
      await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'x-forwarded-for': '203.0.113.7' },
        payload: { username: 'nobody', password: 'wrong password' },
      });
      const row = await context.sql.get<{ address: string | null }>(
        `SELECT address FROM sign_in_events ORDER BY id DESC LIMIT 1`,
      );
      return row!.address;
    } finally {
      await app.close();
    }
  }

  it("records the browser's address when told to trust one proxy, so throttling is per browser", async () => {
    expect(await signInEventAddress(1)).toBe('203.0.113.7');
  });

  it('believes no forwarded address by default: a browser cannot choose its own', async () => {
    expect(await signInEventAddress(0)).toBe('127.0.0.1');
  });
});
