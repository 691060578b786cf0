import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { io as connect, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, JoinWardAck, ServerToClientEvents } from '@wardline/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { syntheticNhsNumber } from '../demo/seed.js';
import { attachRealtime, type RealtimeHub } from '../realtime/hub.js';
import {
  TEST_PASSWORD,
  addOrganisation,
  batch,
  registeredRoutes,
  bpObservation,
  testContext,
  testIngest,
  type OrganisationFixture,
} from '../testing.js';

/**
 * Two organisations on one server see nothing of each other. Organisation B's staff call EVERY
 * route of the app with organisation A's ids; each route has an entry in the table saying how,
 * and what a refusal looks like. A route with no entry fails the test: add it to ROUTES.
 */

type Caller = 'admin' | 'nurse' | 'charge' | 'family';
const B_CALLERS: Caller[] = ['admin', 'nurse', 'charge', 'family'];

interface Call {
  method: string;
  url: string;
  payload?: unknown;
  contentType?: string;
}
type Entry =
  /** Not organisation-scoped at all (public, the caller's own account, the broker's feed): why. */
  | { kind: 'exempt'; reason: string }
  /**
   * Aimed at A's record: every B caller gets 404 (as if absent) or 403 (role), and no A id comes
   * back. `own`: an A caller whose same call succeeds (safe reads only), so the refusal is scoping.
   */
  | { kind: 'refused'; call: (a: Fixture) => Call; own?: Caller; statuses?: number[] }
  /** A list or search: B callers get their own (or 403) with no A id in it; `own` sees A's. */
  | { kind: 'list'; call: (a: Fixture) => Call; own?: Caller }
  /** Anything else: a check of its own. */
  | { kind: 'custom'; check: (t: Tester) => Promise<void> };

interface Tester {
  a: Fixture;
  b: Fixture;
  as: (org: 'a' | 'b', caller: Caller, call: Call) => Promise<{ status: number; body: string }>;
  /** Fails if the text names anything of organisation A (beyond what the call itself sent). */
  expectNothingOfA: (label: string, body: string, call?: Call) => void;
}

const json = (method: string, url: string, payload?: unknown): Call => ({
  method,
  url,
  ...(payload !== undefined ? { payload } : {}),
});

const ROUTES: Record<string, Entry> = {
  // Open, or about the caller only.
  'GET /': { kind: 'exempt', reason: 'the dashboard shell' },
  'GET /api/health': { kind: 'exempt', reason: 'liveness for load balancers: no records' },
  'GET /metrics': { kind: 'exempt', reason: 'Prometheus counters: no records, no ids' },
  'POST /api/auth/login': { kind: 'exempt', reason: 'signing in' },
  'POST /api/auth/logout': { kind: 'exempt', reason: 'signing out' },
  'GET /api/auth/session': { kind: 'exempt', reason: 'who is signed in: the caller' },
  'GET /api/auth/me': { kind: 'exempt', reason: 'the caller' },
  'POST /api/auth/set-password': { kind: 'exempt', reason: 'by one-time token, for its own account' },
  'POST /api/auth/account-token/inspect': { kind: 'exempt', reason: 'by one-time token' },
  'POST /api/auth/totp/enrol': { kind: 'exempt', reason: "the caller's own second factor" },
  'POST /api/auth/totp/confirm': { kind: 'exempt', reason: "the caller's own second factor" },
  'GET /api/auth/providers': { kind: 'exempt', reason: 'sign-in buttons: configured providers only' },
  'GET /api/auth/oidc/:provider/start': { kind: 'exempt', reason: 'single sign-on redirect' },
  'GET /api/auth/oidc/:provider/callback': { kind: 'exempt', reason: 'single sign-on redirect' },
  'GET /api/internal/broker/credentials': {
    kind: 'exempt',
    reason: "the broker's credential feed: a service token, no user session reaches it",
  },
  'GET /api/admin/sign-in-locks': { kind: 'exempt', reason: 'server-wide throttle state (no records)' },
  'DELETE /api/admin/sign-in-locks/:username': { kind: 'exempt', reason: 'server-wide throttle state' },
  'DELETE /api/admin/sign-in-locks/addresses/:address': { kind: 'exempt', reason: 'server-wide throttle' },

  // Places.
  'GET /api/sites': { kind: 'list', call: () => json('GET', '/api/sites?includeClosed=true'), own: 'admin' },
  'POST /api/sites': {
    kind: 'custom',
    async check(t) {
      // A site code is unique on the server: B cannot take A's code, and learns only "in use".
      const res = await t.as(
        'b',
        'admin',
        json('POST', '/api/sites', { name: 'X', kind: 'care_home', code: t.a.siteCode }),
      );
      expect(res.status).toBe(409);
      expect(res.body).not.toContain(t.a.siteId);
      expect(res.body).not.toContain(t.a.organisationId);
    },
  },
  'PATCH /api/sites/:siteId': {
    kind: 'refused',
    call: (a) => json('PATCH', `/api/sites/${a.siteId}`, { name: 'Mine' }),
  },
  'POST /api/sites/:siteId/close': {
    kind: 'refused',
    call: (a) => json('POST', `/api/sites/${a.siteId}/close`),
  },
  'GET /api/wards': { kind: 'list', call: () => json('GET', '/api/wards'), own: 'nurse' },
  'POST /api/wards': {
    kind: 'refused',
    call: (a) => json('POST', '/api/wards', { siteId: a.siteId, name: 'Annexe', beds: 1 }),
  },
  'PATCH /api/wards/:wardId': {
    kind: 'refused',
    call: (a) => json('PATCH', `/api/wards/${a.wardId}`, { name: 'Mine' }),
  },
  'POST /api/wards/:wardId/close': {
    kind: 'refused',
    call: (a) => json('POST', `/api/wards/${a.wardId}/close`),
  },
  'GET /api/wards/:wardId/beds': {
    kind: 'refused',
    call: (a) => json('GET', `/api/wards/${a.wardId}/beds`),
    own: 'nurse',
  },
  'POST /api/wards/:wardId/beds': {
    kind: 'refused',
    call: (a) => json('POST', `/api/wards/${a.wardId}/beds`, { labels: ['Extra'] }),
  },
  'GET /api/wards/:wardId/bed-list': {
    kind: 'refused',
    call: (a) => json('GET', `/api/wards/${a.wardId}/bed-list`),
    own: 'admin',
  },
  'GET /api/wards/:wardId/news2': {
    kind: 'refused',
    call: (a) => json('GET', `/api/wards/${a.wardId}/news2`),
    own: 'nurse',
  },
  'PATCH /api/beds/:bedId': {
    kind: 'refused',
    call: (a) => json('PATCH', `/api/beds/${a.bedId}`, { label: 'Mine' }),
  },
  'POST /api/beds/:bedId/close': {
    kind: 'refused',
    call: (a) => json('POST', `/api/beds/${a.freeBedId}/close`),
  },

  // Patients.
  'POST /api/patients': {
    kind: 'refused',
    call: (a) => json('POST', '/api/patients', { bedId: a.freeBedId, displayName: 'Intruder' }),
  },
  'GET /api/patients': {
    kind: 'custom',
    async check(t) {
      for (const url of ['/api/patients', '/api/patients?q=Resident', `/api/patients?q=${t.a.nhsNumber}`]) {
        for (const caller of B_CALLERS) {
          const res = await t.as('b', caller, json('GET', url));
          expect([200, 403], `${caller} GET ${url}`).toContain(res.status);
          t.expectNothingOfA(`${caller} GET ${url}`, res.body);
        }
      }
      // The same NHS number search finds A's patient for A's nurse: the search works.
      expect((await t.as('a', 'nurse', json('GET', `/api/patients?q=${t.a.nhsNumber}`))).body).toContain(
        t.a.patientId,
      );
    },
  },
  'GET /api/patients/:patientId': {
    kind: 'refused',
    call: (a) => json('GET', `/api/patients/${a.patientId}`),
    own: 'nurse',
  },
  'PATCH /api/patients/:patientId': {
    kind: 'refused',
    call: (a) => json('PATCH', `/api/patients/${a.patientId}`, { preferredName: 'Changed' }),
  },
  'POST /api/patients/:patientId/admit': {
    kind: 'refused',
    call: (a) => json('POST', `/api/patients/${a.patientId}/admit`, { bedId: a.freeBedId }),
  },
  'POST /api/patients/:patientId/discharge': {
    kind: 'refused',
    call: (a) => json('POST', `/api/patients/${a.patientId}/discharge`),
  },
  'GET /api/patients/:patientId/devices': {
    kind: 'refused',
    call: (a) => json('GET', `/api/patients/${a.patientId}/devices`),
    own: 'nurse',
  },
  'GET /api/patients/:patientId/observations': {
    kind: 'refused',
    call: (a) => json('GET', `/api/patients/${a.patientId}/observations`),
    own: 'nurse',
  },
  'GET /api/patients/:patientId/history': {
    kind: 'refused',
    call: (a) => json('GET', `/api/patients/${a.patientId}/history?kind=blood_pressure`),
    own: 'nurse',
  },
  // Blood-pressure management (routes/bp.ts).
  'GET /api/patients/:patientId/bp-report': {
    kind: 'refused',
    call: (a) => json('GET', `/api/patients/${a.patientId}/bp-report`),
    own: 'nurse',
  },
  'PUT /api/patients/:patientId/bp-treatment': {
    kind: 'refused',
    call: (a) => json('PUT', `/api/patients/${a.patientId}/bp-treatment`, { treated: true }),
  },
  'GET /api/patients/:patientId/postural-tests': {
    kind: 'refused',
    call: (a) => json('GET', `/api/patients/${a.patientId}/postural-tests`),
    own: 'nurse',
  },
  'POST /api/patients/:patientId/postural-tests': {
    kind: 'refused',
    call: (a) =>
      json('POST', `/api/patients/${a.patientId}/postural-tests`, {
        lying: { systolic: 140, diastolic: 80, measuredAt: '2026-01-01T10:00:00Z' },
        standing1: { systolic: 110, diastolic: 70, measuredAt: '2026-01-01T10:02:00Z' },
      }),
  },
  'GET /api/patients/:patientId/news2': {
    kind: 'refused',
    call: (a) => json('GET', `/api/patients/${a.patientId}/news2`),
    own: 'nurse',
  },
  'GET /api/patients/:patientId/news2/history': {
    kind: 'refused',
    call: (a) => json('GET', `/api/patients/${a.patientId}/news2/history`),
    own: 'nurse',
  },
  'GET /api/patients/:patientId/thresholds': {
    kind: 'refused',
    call: (a) => json('GET', `/api/patients/${a.patientId}/thresholds`),
    own: 'nurse',
  },
  'PUT /api/patients/:patientId/thresholds': {
    kind: 'refused',
    call: (a) =>
      json('PUT', `/api/patients/${a.patientId}/thresholds`, {
        changes: { systolicHigh: 170 },
        reason: 'test',
      }),
  },
  'POST /api/patients/:patientId/manual-observations': {
    kind: 'refused',
    call: (a) => json('POST', `/api/patients/${a.patientId}/manual-observations`, { heartRate: 70 }),
  },
  'GET /api/patients/:patientId/contacts': {
    kind: 'refused',
    call: (a) => json('GET', `/api/patients/${a.patientId}/contacts`),
    own: 'nurse',
  },
  'POST /api/patients/:patientId/contacts': {
    kind: 'refused',
    call: (a) =>
      json('POST', `/api/patients/${a.patientId}/contacts`, {
        name: 'Intruder',
        timeZone: 'Europe/London',
        quietHours: null,
        consent: { notify: true, clinicalDetail: true, fallsDuringQuietHours: true },
        consentNote: 'none',
      }),
  },
  'PUT /api/patients/:patientId/contacts/:contactId': {
    kind: 'refused',
    call: (a) =>
      json('PUT', `/api/patients/${a.patientId}/contacts/${a.contactId}`, {
        name: 'Intruder',
        timeZone: 'Europe/London',
        quietHours: null,
        consent: { notify: true, clinicalDetail: true, fallsDuringQuietHours: true },
        consentNote: 'none',
      }),
  },
  'DELETE /api/patients/:patientId/contacts/:contactId': {
    kind: 'refused',
    call: (a) => json('DELETE', `/api/patients/${a.patientId}/contacts/${a.contactId}`),
  },

  // Devices and gateways.
  'GET /api/devices': { kind: 'list', call: () => json('GET', '/api/devices'), own: 'nurse' },
  'POST /api/devices': {
    kind: 'refused',
    call: (a) =>
      json('POST', '/api/devices', { deviceId: 'cc:00:00:00:00:99', model: 'bp-cuff', siteCode: a.siteCode }),
  },
  'PUT /api/devices/:deviceId/gateway': {
    kind: 'refused',
    call: (a) => json('PUT', `/api/devices/${a.deviceId}/gateway`, { gatewayCode: 'gw-9' }),
  },
  'PUT /api/devices/:deviceId/assignment': {
    kind: 'custom',
    async check(t) {
      // Neither A's device to B's patient nor B's device to A's patient.
      for (const [deviceId, patientId] of [
        [t.a.deviceId, t.b.patientId],
        [t.b.deviceId, t.a.patientId],
      ])
        for (const caller of B_CALLERS) {
          const res = await t.as(
            'b',
            caller,
            json('PUT', `/api/devices/${deviceId}/assignment`, { patientId }),
          );
          expect([403, 404], `${caller} assign ${deviceId}`).toContain(res.status);
          t.expectNothingOfA(`${caller} assign`, res.body);
        }
    },
  },
  'DELETE /api/devices/:deviceId/assignment': {
    kind: 'refused',
    call: (a) => json('DELETE', `/api/devices/${a.deviceId}/assignment`),
  },
  'GET /api/gateways': { kind: 'list', call: () => json('GET', '/api/gateways'), own: 'nurse' },
  'GET /api/assignments': { kind: 'list', call: () => json('GET', '/api/assignments'), own: 'nurse' },
  'GET /api/dead-letters': { kind: 'list', call: () => json('GET', '/api/dead-letters'), own: 'admin' },

  // Alerts.
  'GET /api/alerts': { kind: 'list', call: () => json('GET', '/api/alerts?state=all'), own: 'nurse' },
  'GET /api/alerts/:alertId': {
    kind: 'refused',
    call: (a) => json('GET', `/api/alerts/${a.alertId}`),
    own: 'nurse',
  },
  'POST /api/alerts/:alertId/acknowledge': {
    kind: 'refused',
    call: (a) => json('POST', `/api/alerts/${a.alertId}/acknowledge`, {}),
  },
  'POST /api/alerts/:alertId/resolve': {
    kind: 'refused',
    call: (a) => json('POST', `/api/alerts/${a.alertId}/resolve`, { note: 'not mine to resolve' }),
  },

  // FHIR.
  'GET /fhir/Patient/:id': {
    kind: 'refused',
    call: (a) => json('GET', `/fhir/Patient/${a.patientId}`),
    own: 'nurse',
  },
  'GET /fhir/Patient': {
    kind: 'list',
    call: (a) => json('GET', `/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|${a.nhsNumber}`),
    own: 'nurse',
  },
  'GET /fhir/Observation': {
    kind: 'refused',
    call: (a) => json('GET', `/fhir/Observation?patient=Patient/${a.patientId}`),
    own: 'nurse',
  },
  'GET /fhir/Observation/:id': {
    kind: 'refused',
    call: (a) => json('GET', `/fhir/Observation/${a.observationId}`),
    own: 'nurse',
  },

  // Staff and accounts (routes/staff.ts, routes/admin.ts).
  'GET /api/users': { kind: 'list', call: () => json('GET', '/api/users'), own: 'admin' },
  'POST /api/users/:username/disable': {
    kind: 'refused',
    call: (a) => json('POST', `/api/users/${a.users.nurse}/disable`),
  },
  'POST /api/users/:username/enable': {
    kind: 'refused',
    call: (a) => json('POST', `/api/users/${a.users.nurse}/enable`),
  },
  'GET /api/admin/sign-in-events': {
    kind: 'list',
    call: () => json('GET', '/api/admin/sign-in-events'),
    own: 'admin',
  },
  'GET /api/staff': { kind: 'list', call: () => json('GET', '/api/staff'), own: 'admin' },
  'POST /api/staff': {
    kind: 'refused',
    call: (a) =>
      json('POST', '/api/staff', {
        email: 'intruder@example.invalid',
        displayName: 'Intruder',
        role: 'nurse',
        wardIds: [a.wardId],
        sendEmail: false,
      }),
    // Another organisation's ward is refused as a bad request naming only the id the caller sent.
    statuses: [400, 403, 404],
  },
  'PATCH /api/staff/:username': {
    kind: 'refused',
    call: (a) => json('PATCH', `/api/staff/${a.users.nurse}`, { displayName: 'Changed' }),
  },
  'POST /api/staff/:username/disable': {
    kind: 'refused',
    call: (a) => json('POST', `/api/staff/${a.users.nurse}/disable`),
  },
  'POST /api/staff/:username/enable': {
    kind: 'refused',
    call: (a) => json('POST', `/api/staff/${a.users.nurse}/enable`),
  },
  'POST /api/staff/:username/reset-password': {
    kind: 'refused',
    call: (a) => json('POST', `/api/staff/${a.users.nurse}/reset-password`, {}),
  },
  'DELETE /api/staff/:username/totp': {
    kind: 'refused',
    call: (a) => json('DELETE', `/api/staff/${a.users.nurse}/totp`),
  },

  // Organisations (routes/organisations.ts).
  'GET /api/organisations': { kind: 'list', call: () => json('GET', '/api/organisations'), own: 'admin' },
  'POST /api/organisations': {
    kind: 'exempt',
    reason: 'operators only (staff get 403): creates a new organisation, touches none',
  },
  'PATCH /api/organisations/:id': {
    kind: 'refused',
    call: (a) => json('PATCH', `/api/organisations/${a.organisationId}`, { name: 'Mine' }),
  },
  'POST /api/organisations/:id/close': {
    kind: 'refused',
    call: (a) => json('POST', `/api/organisations/${a.organisationId}/close`),
  },

  // Kits (routes/kits.ts): A's kit is registered in beforeAll when the route exists.
  'GET /api/kits': { kind: 'list', call: () => json('GET', '/api/kits'), own: 'admin' },
  'POST /api/kits': {
    kind: 'refused',
    call: (a) => json('POST', '/api/kits', { siteId: a.siteId, label: 'Intruder kit', devices: [] }),
  },
  'GET /api/kits/:kitId': { kind: 'refused', call: (a) => json('GET', `/api/kits/${a.kitId}`), own: 'admin' },
  'POST /api/kits/:kitId/rotate': {
    kind: 'refused',
    call: (a) => json('POST', `/api/kits/${a.kitId}/rotate`, { overlapMinutes: 0 }),
  },
  'POST /api/kits/:kitId/revoke': {
    kind: 'refused',
    call: (a) => json('POST', `/api/kits/${a.kitId}/revoke`),
  },
  'POST /api/kits/:kitId/return': {
    kind: 'refused',
    call: (a) => json('POST', `/api/kits/${a.kitId}/return`),
  },
  'POST /api/kits/:kitId/issue': {
    kind: 'custom',
    async check(t) {
      for (const [kitId, patientId] of [
        [t.a.kitId, t.b.patientId],
        [t.b.kitId, t.a.patientId],
      ])
        for (const caller of B_CALLERS) {
          const res = await t.as('b', caller, json('POST', `/api/kits/${kitId}/issue`, { patientId }));
          expect([403, 404], `${caller} issue ${kitId}`).toContain(res.status);
          t.expectNothingOfA(`${caller} issue`, res.body);
        }
    },
  },

  // The audit (routes/audit.ts).
  'GET /api/audit': { kind: 'list', call: () => json('GET', '/api/audit'), own: 'admin' },
  'GET /api/audit.csv': { kind: 'list', call: () => json('GET', '/api/audit.csv'), own: 'admin' },

  // Onboarding (routes/import.ts).
  'GET /api/import/template.csv': { kind: 'exempt', reason: 'a blank template: no records' },
  'POST /api/import': {
    kind: 'custom',
    async check(t) {
      const { IMPORT_COLUMNS } = await import('../onboarding/template.js');
      const row = IMPORT_COLUMNS.map((c) =>
        c === 'site_code' ? t.a.siteCode : c === 'ward_name' ? 'Annexe' : c === 'bed_label' ? 'Room 9' : '',
      );
      const csv = `${IMPORT_COLUMNS.join(',')}\n${row.join(',')}\n`;
      for (const caller of B_CALLERS) {
        const res = await t.as('b', caller, {
          method: 'POST',
          url: '/api/import',
          payload: csv,
          contentType: 'text/csv',
        });
        if (res.status === 200) expect(JSON.parse(res.body), caller).toMatchObject({ imported: false });
        else expect([403, 404], caller).toContain(res.status);
      }
      expect(await t.a.wardsOfSite()).toEqual([t.a.wardId]);
    },
  },
};

/** Organisation A's fixture, with what the test adds to it. */
type Fixture = OrganisationFixture & {
  nhsNumber: string;
  observationId: string;
  kitId: string;
  wardsOfSite: () => Promise<string[]>;
};

describe('two organisations on one server see nothing of each other', () => {
  let ctx: ServerContext;
  let app: FastifyInstance;
  let hub: RealtimeHub;
  let base: string;
  let a: Fixture;
  let b: Fixture;
  const tokens = { a: {} as Record<Caller, string>, b: {} as Record<Caller, string> };

  async function signIn(username: string): Promise<string> {
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username, password: TEST_PASSWORD },
    });
    expect(res.statusCode, username).toBe(200);
    return (res.json() as { token: string }).token;
  }

  async function as(org: 'a' | 'b', caller: Caller, call: Call) {
    const res = await app.inject({
      method: call.method as 'GET',
      url: call.url,
      headers: {
        authorization: `Bearer ${tokens[org][caller]}`,
        ...(call.payload !== undefined ? { 'content-type': call.contentType ?? 'application/json' } : {}),
      },
      ...(call.payload !== undefined
        ? { payload: typeof call.payload === 'string' ? call.payload : JSON.stringify(call.payload) }
        : {}),
    });
    return { status: res.statusCode, body: res.body };
  }

  /** Every string that would betray organisation A: its ids, codes, names, NHS number. */
  const secretsOfA = () => [
    'alpha',
    a.siteId,
    a.wardId,
    a.bedId,
    a.freeBedId,
    a.patientId,
    a.deviceId,
    a.nhsNumber,
    a.observationId,
    ...(a.kitId ? [a.kitId] : []),
  ];
  function expectNothingOfA(label: string, body: string, call?: Call) {
    // A refusal may repeat what the caller sent (a self link, "no ward X"): they knew that already.
    const sent = call ? `${call.url} ${JSON.stringify(call.payload ?? '')}` : '';
    const leaked = secretsOfA().filter((secret) => body.includes(secret) && !sent.includes(secret));
    expect(leaked, `${label} leaks organisation A: ${body.slice(0, 300)}`).toEqual([]);
  }

  async function fixture(prefix: string, nhsNumber: string): Promise<Fixture> {
    const made = await addOrganisation(ctx, prefix, { nhsNumber });
    const outcome = await testIngest(ctx).handle(
      `wardline/v1/${made.siteCode}/gw-1/obs`,
      batch(bpObservation({ deviceId: made.deviceId })),
    );
    const observationId = outcome.observations[0]!.observation.id;
    // Something of the site's turned away, for the dead-letter list.
    await testIngest(ctx).handle(`wardline/v1/${made.siteCode}/gw-1/obs`, Buffer.from('not json'));
    return {
      ...made,
      nhsNumber,
      observationId,
      kitId: '',
      wardsOfSite: async () =>
        (
          await ctx.sql.all<{ id: string }>(`SELECT id FROM wards WHERE site_id = ? ORDER BY id`, [
            made.siteId,
          ])
        ).map((r) => r.id),
    };
  }

  beforeAll(async () => {
    ctx = await testContext();
    a = await fixture('alpha', syntheticNhsNumber(9001));
    b = await fixture('beta', syntheticNhsNumber(9002));
    app = await buildApp({ context: ctx, publicUrl: () => base });
    hub = attachRealtime(app);
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    for (const org of ['a', 'b'] as const)
      for (const caller of B_CALLERS) tokens[org][caller] = await signIn((org === 'a' ? a : b).users[caller]);
    const routes = new Set(registeredRoutes(app).map((r) => `${r.method} ${r.url}`));
    if (routes.has('POST /api/kits'))
      for (const [org, f] of [
        ['a', a],
        ['b', b],
      ] as const) {
        const kit = await as(
          org,
          'admin',
          json('POST', '/api/kits', { siteId: f.siteId, label: `Kit ${org}`, devices: [] }),
        );
        expect(kit.status, kit.body).toBe(201);
        f.kitId = (JSON.parse(kit.body) as { kit: { id: string } }).kit.id;
      }
    // A's own staff use A's records, so A's audit has something to hide.
    expect((await as('a', 'nurse', json('GET', `/api/patients/${a.patientId}`))).status).toBe(200);
  });
  afterAll(async () => {
    await hub?.close();
    await app?.close();
  });

  it('has a cross-organisation entry for every route of the app', () => {
    const missing = registeredRoutes(app)
      .map((r) => `${r.method} ${r.url}`)
      .filter((route) => !(route in ROUTES));
    expect(
      missing.map((route) => `route ${route} has no cross-organisation check: add it to the table`),
    ).toEqual([]);
  });

  it("refuses organisation B's staff everything of organisation A, on every route", async () => {
    const tester: Tester = { a, b, as, expectNothingOfA };
    const failures: string[] = [];
    for (const { method, url } of registeredRoutes(app)) {
      const route = `${method} ${url}`;
      const entry = ROUTES[route];
      if (!entry || entry.kind === 'exempt') continue;
      try {
        if (entry.kind === 'custom') {
          await entry.check(tester);
          continue;
        }
        const call = entry.call(a);
        for (const caller of B_CALLERS) {
          const res = await as('b', caller, call);
          if (entry.kind === 'refused')
            expect(
              entry.statuses ?? [403, 404],
              `${caller}: ${call.method} ${call.url} -> ${res.status} ${res.body.slice(0, 200)}`,
            ).toContain(res.status);
          else
            expect([200, 403], `${caller}: ${call.method} ${call.url} -> ${res.status}`).toContain(
              res.status,
            );
          expectNothingOfA(`${caller}: ${call.method} ${call.url}`, res.body, call);
        }
        if (entry.own) {
          // The control: A's own staff get what B was refused, so the refusal above is scoping.
          const mine = await as('a', entry.own, call);
          expect(mine.status, `A's ${entry.own}: ${call.method} ${call.url} ${mine.body.slice(0, 200)}`).toBe(
            200,
          );
          expect(
            secretsOfA().some((secret) => mine.body.includes(secret)),
            `A's ${entry.own} sees A's record in ${call.url}`,
          ).toBe(true);
        }
      } catch (err) {
        failures.push(`${route}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    expect(failures).toEqual([]);
    // Nothing of A changed hands: still in its bed, with its device and its contact.
    expect(await ctx.wards.patient(a.patientId)).toMatchObject({ bedId: a.bedId });
    expect(await ctx.devices.devicesAssignedTo(a.patientId)).toEqual([a.deviceId]);
    expect(await ctx.alerting.contacts.get(a.contactId)).toMatchObject({ patientId: a.patientId });
    expect(await ctx.alerting.store.get(a.alertId)).toMatchObject({ state: 'open' });
  });

  it("lets an operator read every organisation's dead letters and no one's clinical record", async () => {
    const { hashPassword } = await import('@wardline/broker');
    await ctx.users.upsert({
      username: 'operator',
      passwordHash: await hashPassword(TEST_PASSWORD, { N: 2 ** 10, r: 8, p: 1 }),
      role: 'operator',
      displayName: 'Operator',
    });
    const token = await signIn('operator');
    const get = (url: string) =>
      app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    const letters = (await get('/api/dead-letters')).body;
    expect(letters).toContain(`wardline/v1/${a.siteCode}/`);
    expect(letters).toContain(`wardline/v1/${b.siteCode}/`);
    for (const url of [
      '/api/wards',
      '/api/patients',
      `/api/patients/${a.patientId}`,
      `/fhir/Patient/${a.patientId}`,
      '/api/alerts',
      '/api/devices',
    ])
      expect([url, (await get(url)).statusCode]).toEqual([url, 403]);
    // B's admin sees B's dead letters only.
    const own = (await as('b', 'admin', json('GET', '/api/dead-letters'))).body;
    expect(own).toContain(`wardline/v1/${b.siteCode}/`);
    expect(own).not.toContain(`wardline/v1/${a.siteCode}/`);
  });

  it("lets no socket of organisation B into A's ward, nor any of A's readings onto it", async () => {
    const sockets: Socket<ServerToClientEvents, ClientToServerEvents>[] = [];
    const open = async (token: string) => {
      const socket: Socket<ServerToClientEvents, ClientToServerEvents> = connect(base, {
        auth: { token },
        transports: ['websocket'],
        forceNew: true,
      });
      sockets.push(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      return socket;
    };
    const join = (socket: Socket<ServerToClientEvents, ClientToServerEvents>, wardId: string) =>
      new Promise<JoinWardAck>((resolve) => socket.emit('joinWard', wardId, resolve));
    try {
      const seenByB: string[] = [];
      for (const caller of ['admin', 'nurse', 'charge'] as const) {
        const socket = await open(tokens.b[caller]);
        expect(await join(socket, a.wardId), caller).toEqual({ ok: false, code: 'WL_NOT_FOUND' });
        expect(await join(socket, b.wardId), caller).toEqual({ ok: true });
        socket.on('observations', (batch) => seenByB.push(...batch.observations.map((e) => e.patientId)));
      }
      const familyOfB = await open(tokens.b.family);
      expect(await join(familyOfB, a.wardId)).toMatchObject({ ok: false });
      familyOfB.on('observation', (event) => seenByB.push(event.patientId));
      const nurseOfA = await open(tokens.a.nurse);
      expect(await join(nurseOfA, a.wardId)).toEqual({ ok: true });
      const seenByA = new Promise<string>((resolve) =>
        nurseOfA.once('observations', (batch) => resolve(batch.observations[0]!.patientId)),
      );

      hub.broadcast(
        await testIngest(ctx).handle(
          `wardline/v1/${a.siteCode}/gw-1/obs`,
          batch(bpObservation({ deviceId: a.deviceId })),
        ),
      );
      expect(await seenByA).toBe(a.patientId);
      // B's own reading reaches B, after A's: anything of A's would have arrived before it.
      const seenOwn = new Promise<void>((resolve) => {
        const check = () => (seenByB.includes(b.patientId) ? resolve() : setTimeout(check, 10));
        check();
      });
      hub.broadcast(
        await testIngest(ctx).handle(
          `wardline/v1/${b.siteCode}/gw-1/obs`,
          batch(bpObservation({ deviceId: b.deviceId })),
        ),
      );
      await seenOwn;
      expect(seenByB).not.toContain(a.patientId);
    } finally {
      for (const socket of sockets) socket.disconnect();
    }
  });
});
