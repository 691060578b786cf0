import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { io as connect, type Socket } from 'socket.io-client';
import type {
  ClientToServerEvents,
  FamilyContactInput,
  ObservationEvent,
  PatientSummary,
  ReadingArrivedEvent,
  ServerToClientEvents,
} from '@wardline/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { attachRealtime, type RealtimeHub } from '../realtime/hub.js';
import { OBS_TOPIC, TEST_PASSWORD, batch, bpObservation, testContext, testIngest } from '../testing.js';

/** The demo seed's relative of the `family` user, and the contact it links by username. */
const P1 = 'ward-a-p001';

let ctx: ServerContext;
let app: FastifyInstance;
let hub: RealtimeHub;
let base: string;
let family: string;

const get = (url: string) =>
  app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${family}` } });

async function setClinicalDetail(clinicalDetail: boolean, username = 'family') {
  const contact = (await ctx.alerting.contacts.list(P1))[0]!;
  const { id: _id, patientId: _p, consentRecordedAt: _at, consentRecordedBy: _by, ...input } = contact;
  const next: FamilyContactInput = { ...input, username, consent: { ...input.consent, clinicalDetail } };
  await ctx.alerting.contacts.update(contact.id, next, 'test', new Date().toISOString());
}

/** Every route a family user could read a value from. */
const READING_ROUTES = [
  `/api/patients/${P1}/observations`,
  `/api/patients/${P1}/history?kind=blood_pressure`,
  `/api/patients/${P1}/news2`,
  `/fhir/Observation?patient=${P1}`,
];

beforeAll(async () => {
  ctx = await testContext();
  app = await buildApp({ context: ctx });
  hub = attachRealtime(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const res = await app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username: 'family', password: TEST_PASSWORD },
  });
  family = (res.json() as { token: string }).token;
});
afterAll(async () => {
  await hub?.close();
  await app?.close();
});

async function familySocket() {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = connect(base, {
    auth: { token: family },
    transports: ['websocket'],
    forceNew: true,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return socket;
}

/** Ingests one reading, broadcasts it, and collects what the family socket got for it. */
async function publishAndCollect(systolic: number) {
  const socket = await familySocket();
  const observations: ObservationEvent[] = [];
  const arrived: ReadingArrivedEvent[] = [];
  socket.on('observation', (e) => observations.push(e));
  const gotArrived = new Promise<void>((resolve) =>
    socket.on('readingArrived', (e) => {
      arrived.push(e);
      resolve();
    }),
  );
  const gotObservation = new Promise<void>((resolve) => socket.once('observation', () => resolve()));
  const reading = bpObservation({ systolic });
  hub.broadcast(await testIngest(ctx).handle(OBS_TOPIC, batch(reading)));
  await Promise.race([gotArrived, gotObservation]);
  // Anything else for this reading would have come in the same tick; give it a moment.
  await new Promise((r) => setTimeout(r, 100));
  socket.close();
  return { reading, observations, arrived };
}

describe('family view and consent to clinical detail', () => {
  it('sends a family member without consent no reading, by API or socket, only when one arrived', async () => {
    await setClinicalDetail(false);
    for (const url of READING_ROUTES) expect([url, (await get(url)).statusCode]).toEqual([url, 403]);

    const { reading, observations, arrived } = await publishAndCollect(187);
    expect(observations).toEqual([]);
    expect(arrived).toEqual([
      { patientId: P1, measuredAt: reading.measuredAt, receivedAt: expect.any(String) },
    ]);
    // No value in any form (a time stamp may well contain the digits 187).
    expect(JSON.stringify(arrived)).not.toMatch(/systolic|pulse|mmHg|"values"/);

    const [own] = (await get('/api/patients')).json() as PatientSummary[];
    expect(own!.family).toEqual({ clinicalDetail: false, lastReadingAt: reading.measuredAt });
    const record = (await get(`/api/patients/${P1}`)).json() as PatientSummary;
    expect(record.family?.clinicalDetail).toBe(false);
  });

  it('treats a contact not linked to the account as no consent', async () => {
    await setClinicalDetail(true, 'someone-else');
    for (const url of READING_ROUTES) expect([url, (await get(url)).statusCode]).toEqual([url, 403]);
    const [own] = (await get('/api/patients')).json() as PatientSummary[];
    expect(own!.family?.clinicalDetail).toBe(false);
  });

  it('shows readings to a family member whose contact consents, live on the socket too', async () => {
    await setClinicalDetail(true);
    for (const url of READING_ROUTES) expect([url, (await get(url)).statusCode]).toEqual([url, 200]);
    const { observations, arrived } = await publishAndCollect(164);
    expect(arrived).toEqual([]);
    expect(observations.map((e) => e.observation.values)).toEqual([
      expect.objectContaining({ systolic: { value: 164, unit: 'mmHg' } }),
    ]);
    const [own] = (await get('/api/patients')).json() as PatientSummary[];
    expect(own!.family?.clinicalDetail).toBe(true);
  });

  it('needs every contact linked to the account to consent', async () => {
    await setClinicalDetail(true);
    const second = await ctx.alerting.contacts.create(
      P1,
      {
        name: 'Second record',
        username: 'family',
        timeZone: 'Europe/London',
        quietHours: null,
        consent: { notify: true, clinicalDetail: false, fallsDuringQuietHours: false },
        consentNote: 'consent to clinical detail withdrawn, test',
      },
      'test',
      new Date().toISOString(),
    );
    try {
      expect((await get(`/api/patients/${P1}/observations`)).statusCode).toBe(403);
    } finally {
      await ctx.alerting.contacts.remove(second.id, 'test', new Date().toISOString());
    }
    expect((await get(`/api/patients/${P1}/observations`)).statusCode).toBe(200);
  });
});
