import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { hashPassword } from '@wardline/broker';
import { Channel, gatewayTopic, type Observation, type Site } from '@wardline/protocol';
import { createContext, type ServerContext } from './context.js';
import { testRecords } from './testing-database.js';
import { seedDemo, type SeedWard } from './demo/seed.js';
import { createIngest, type IngestDependencies } from './ingest/ingest.js';

export const TEST_PASSWORD = 'correct horse battery staple';

/** A small fleet: one care home with two residents, each with a cuff and a falls sensor. */
export const testFleet: SeedWard[] = [
  {
    id: 'ward-a',
    name: 'Ward A',
    kind: 'care_home',
    site: 'site-a',
    gateways: [
      {
        site: 'site-a',
        gateway: 'gw-1',
        residents: [
          {
            number: 1,
            devices: [
              { id: 'aa:00:00:00:00:01', model: 'bp-cuff' },
              { id: 'aa:00:00:00:01:01', model: 'falls-sensor' },
            ],
          },
          { number: 2, devices: [{ id: 'aa:00:00:00:00:02', model: 'bp-cuff' }] },
        ],
      },
    ],
  },
];

export { testRecords };

export const OBS_TOPIC = gatewayTopic({ site: 'site-a', gateway: 'gw-1' }, Channel.observations);

export async function testContext(): Promise<ServerContext> {
  const ctx = createContext(await testRecords());
  await seedDemo(ctx, testFleet, TEST_PASSWORD, { N: 2 ** 10, r: 8, p: 1 });
  await addChargeNurse(ctx);
  return ctx;
}

/** `charge`, a nurse in charge beside the demo's users: clinical leadership (admit, thresholds, contacts). */
export async function addChargeNurse(ctx: ServerContext): Promise<void> {
  await ctx.users.upsert({
    username: 'charge',
    passwordHash: await hashPassword(TEST_PASSWORD, { N: 2 ** 10, r: 8, p: 1 }),
    role: 'nurse_in_charge',
    displayName: 'Nurse In Charge',
  });
}

/**
 * The ingest path's dependencies from a context, as server.ts gives them, with `options` on top:
 * `now` fixes the ingest clock (fixtures with fixed dates), `afterStore` adds the alert rules, `spool`
 * the time-series queue.
 */
export function testIngestDependencies(
  ctx: ServerContext,
  options: Partial<IngestDependencies> = {},
): IngestDependencies {
  return {
    sql: ctx.sql,
    observations: ctx.observations,
    devices: ctx.devices,
    deadLetters: ctx.deadLetters,
    metrics: ctx.metrics,
    log: pino({ level: 'silent' }),
    ...options,
  };
}

export function testIngest(ctx: ServerContext, options: Partial<IngestDependencies> = {}) {
  return createIngest(testIngestDependencies(ctx, options));
}

let seq = 0;
export function bpObservation(overrides: Partial<Observation> & { systolic?: number } = {}): Observation {
  const { systolic = 128, ...rest } = overrides;
  return {
    id: randomUUID(),
    deviceId: 'aa:00:00:00:00:01',
    kind: 'blood_pressure',
    measuredAt: new Date(Date.now() - 60_000).toISOString(),
    seq: seq++,
    values: {
      systolic: { value: systolic, unit: 'mmHg' },
      diastolic: { value: 82, unit: 'mmHg' },
      pulseRate: { value: 71, unit: 'bpm' },
    },
    ...rest,
  } as Observation;
}

export function batch(...observations: unknown[]): Buffer {
  return Buffer.from(JSON.stringify({ v: 1, sentAt: new Date().toISOString(), observations }));
}

/** What `addOrganisation` made: ids of one of everything an organisation holds. */
export interface OrganisationFixture {
  organisationId: string;
  siteId: string;
  siteCode: string;
  wardId: string;
  bedId: string;
  /** A second, free bed. */
  freeBedId: string;
  patientId: string;
  deviceId: string;
  gatewayId: string;
  alertId: number;
  contactId: number;
  /** Users `{prefix}-admin`, `{prefix}-nurse`, `{prefix}-charge` (nurse in charge), `{prefix}-family`. */
  users: Record<'admin' | 'nurse' | 'charge' | 'family', string>;
}

/** Another organisation (`org-{prefix}`) with one site (code `site-{prefix}`) and nothing else. */
export async function addBareOrganisation(
  ctx: ServerContext,
  prefix: string,
  kind: Site['kind'] = 'care_home',
): Promise<Site> {
  await ctx.sql.run(`INSERT INTO organisations (id, name, created_at) VALUES (?, ?, ?)`, [
    `org-${prefix}`,
    `Organisation ${prefix}`,
    new Date().toISOString(),
  ]);
  return (await ctx.places.createSite(`org-${prefix}`, {
    name: `Site ${prefix}`,
    kind,
    code: `site-${prefix}`,
  }))!;
}

/**
 * Another organisation on the same server, with a site, a ward of two beds, a patient (with an NHS
 * number) in one, a device on that patient, a gateway, an open alert and a family contact, and its
 * own staff signing in with TEST_PASSWORD. `prefix` keeps its ids, codes and user names apart.
 */
export async function addOrganisation(
  ctx: ServerContext,
  prefix: string,
  options: { nhsNumber?: string } = {},
): Promise<OrganisationFixture> {
  const hash = await hashPassword(TEST_PASSWORD, { N: 2 ** 10, r: 8, p: 1 });
  const at = new Date().toISOString();
  const organisationId = `org-${prefix}`;
  const siteCode = `site-${prefix}`;
  const fixture = await ctx.sql.transaction(async () => {
    const site = await addBareOrganisation(ctx, prefix);
    const ward = await ctx.places.createWard(site, { name: `Ward ${prefix}`, beds: 2 });
    const [bed, freeBed] = await ctx.places.bedList(ward.id);
    const patientId = `p-${prefix}-1`;
    await ctx.wards.admit({
      id: patientId,
      displayName: `Resident ${prefix}`,
      bedId: bed!.id,
      at,
      by: 'test',
    });
    if (options.nhsNumber) await ctx.patients.updateDetails(patientId, { nhsNumber: options.nhsNumber });
    const deviceId = `${prefix.slice(0, 2).padEnd(2, '0')}:00:00:00:00:01`;
    await ctx.devices.registerDevice(deviceId, 'bp-cuff', siteCode, null);
    await ctx.devices.assign(deviceId, patientId, 'test', at);
    const gatewayId = await ctx.devices.ensureGateway(siteCode, 'gw-1');
    await ctx.devices.assignGatewayToWard(gatewayId, ward.id);
    const alert = await ctx.alerting.store.open(
      {
        subject: `test:${prefix}`,
        condition: 'help_request',
        patientId,
        wardId: ward.id,
        deviceId,
        gatewayId,
        priority: 'high',
        title: 'Help requested',
        message: 'A test alert',
        detail: {},
        nextEscalationAt: null,
      },
      at,
    );
    const contact = await ctx.alerting.contacts.create(
      patientId,
      {
        name: `Contact ${prefix}`,
        email: `contact-${prefix}@example.invalid`,
        username: `${prefix}-family`,
        timeZone: 'Europe/London',
        quietHours: null,
        consent: { notify: true, clinicalDetail: false, fallsDuringQuietHours: true },
        consentNote: 'test',
      },
      'test',
      at,
    );
    const users = {
      admin: `${prefix}-admin`,
      nurse: `${prefix}-nurse`,
      charge: `${prefix}-charge`,
      family: `${prefix}-family`,
    };
    const base = { passwordHash: hash, organisationId };
    await ctx.users.upsert({ ...base, username: users.admin, role: 'admin', displayName: `Admin ${prefix}` });
    await ctx.users.upsert({ ...base, username: users.nurse, role: 'nurse', displayName: `Nurse ${prefix}` });
    await ctx.users.upsert({
      ...base,
      username: users.charge,
      role: 'nurse_in_charge',
      displayName: `Charge ${prefix}`,
    });
    await ctx.users.upsert({
      ...base,
      username: users.family,
      role: 'family',
      displayName: `Family ${prefix}`,
      patientId,
    });
    return {
      organisationId,
      siteId: site.id,
      siteCode,
      wardId: ward.id,
      bedId: bed!.id,
      freeBedId: freeBed!.id,
      patientId,
      deviceId,
      gatewayId,
      alertId: alert.row.id,
      contactId: contact.id,
      users,
    };
  });
  return fixture;
}

/** Signs in through the API, as a client does, and returns the session's bearer token. */
export async function signInToken(
  app: FastifyInstance,
  username: string,
  password = TEST_PASSWORD,
): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  if (res.statusCode !== 200) throw new Error(`sign-in of ${username}: ${res.statusCode} ${res.body}`);
  return (res.json() as { token: string }).token;
}

/** Every method and full path the app serves, from fastify's own route tree. */
export function registeredRoutes(app: FastifyInstance): { method: string; url: string }[] {
  const routes: { method: string; url: string }[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ]*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    stack.push(match[2]!);
    const url = stack.join('');
    for (const method of match[3]?.split(', ') ?? []) if (method !== 'HEAD') routes.push({ method, url });
  }
  return routes;
}
