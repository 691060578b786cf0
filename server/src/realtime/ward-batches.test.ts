import type { FamilyContactInput, ObservationBatchEvent, ObservationEvent } from '@wardline/protocol';
import { Channel, gatewayTopic, type Observation } from '@wardline/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerContext } from '../context.js';
import { createContext } from '../context.js';
import { openDatabase } from '../db/database.js';
import { sqliteDatabase } from '../db/engines/sqlite/index.js';
import { seedDemo } from '../demo/seed.js';
import { openTestSocket, startLiveTestApp, type ClientSocket } from '../testing-sockets.js';
import { TEST_PASSWORD, batch, bpObservation, signInToken, testFleet, testIngest } from '../testing.js';

/** The test fleet's care home plus a second ward with its own gateway and residents. */
const fleet = [
  ...testFleet,
  {
    id: 'ward-b',
    name: 'Ward B',
    kind: 'care_home' as const,
    site: 'site-b',
    gateways: [
      {
        site: 'site-b',
        gateway: 'gw-1',
        residents: [
          { number: 1, devices: [{ id: 'bb:00:00:00:00:01', model: 'bp-cuff' as const }] },
          { number: 2, devices: [{ id: 'bb:00:00:00:00:02', model: 'bp-cuff' as const }] },
        ],
      },
    ],
  },
];
const TOPIC_A = gatewayTopic({ site: 'site-a', gateway: 'gw-1' }, Channel.observations);
const TOPIC_B = gatewayTopic({ site: 'site-b', gateway: 'gw-1' }, Channel.observations);
/** The demo family member's relative: ward A's first resident, with the cuff aa:…:01. */
const RELATIVE = 'ward-a-p001';

let ctx: ServerContext;
let live: Awaited<ReturnType<typeof startLiveTestApp>>;
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  ctx = createContext(sqliteDatabase(openDatabase(':memory:')));
  await seedDemo(ctx, fleet, TEST_PASSWORD, { N: 2 ** 10, r: 8, p: 1 });
  live = await startLiveTestApp(ctx);
  ctx.alerting.attach(live.hub);
  // The relative's contact consents to clinical detail: the family member gets the readings.
  const contact = (await ctx.alerting.contacts.list(RELATIVE))[0]!;
  const { id: _id, patientId: _p, consentRecordedAt: _at, consentRecordedBy: _by, ...input } = contact;
  const next: FamilyContactInput = { ...input, consent: { ...input.consent, clinicalDetail: true } };
  await ctx.alerting.contacts.update(contact.id, next, 'test', new Date().toISOString());
});
afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await live?.close();
});

async function open(username: string, wardId?: string) {
  const socket = await openTestSocket(live.app, live.base, username, wardId);
  sockets.push(socket);
  return socket;
}

/** Everything a socket is sent of readings, in arrival order. */
function record(socket: ClientSocket) {
  const batches: ObservationBatchEvent[] = [];
  const singles: ObservationEvent[] = [];
  socket.on('observations', (e) => batches.push(e));
  socket.on('observation', (e) => singles.push(e));
  return { batches, singles };
}

const ids = (events: readonly ObservationEvent[]) => events.map((e) => e.observation.id);

/** Resolves once a reading with this id has reached the socket (in a batch or alone). */
function arrival(socket: ClientSocket, id: string) {
  return new Promise<void>((resolve) => {
    socket.on('observations', (e) => e.observations.some((o) => o.observation.id === id) && resolve());
    socket.on('observation', (e) => e.observation.id === id && resolve());
  });
}

const reading = (deviceId: string, systolic: number): Observation => bpObservation({ deviceId, systolic });

describe('ward fan-out, one event per ward per committed group', () => {
  it("sends each ward's nurse one event with all of its readings in commit order, and only its own", async () => {
    const nurseA = await open('nurse', 'ward-a');
    const nurseB = await open('nurse', 'ward-b');
    const family = await open('family');
    const [seenA, seenB, seenFamily] = [record(nurseA), record(nurseB), record(family)];

    // One group, as the subscriber commits it: the wards' messages interleaved.
    const a1 = reading('aa:00:00:00:00:01', 121);
    const a2 = reading('aa:00:00:00:00:02', 122);
    const b1 = reading('bb:00:00:00:00:01', 131);
    const b2 = reading('bb:00:00:00:00:02', 132);
    const a3 = reading('aa:00:00:00:00:01', 123);
    const outcomes = await testIngest(ctx).handleGroup([
      { topic: TOPIC_A, payload: batch(a1, a2) },
      { topic: TOPIC_B, payload: batch(b1) },
      { topic: TOPIC_A, payload: batch(a3) },
      { topic: TOPIC_B, payload: batch(b2) },
    ]);
    live.hub.broadcastGroup(outcomes);

    // A later group reaching every socket: whatever the first sent them arrived before it.
    const markA = reading('aa:00:00:00:00:01', 124);
    const markB = reading('bb:00:00:00:00:01', 134);
    const markers = [arrival(nurseA, markA.id), arrival(nurseB, markB.id), arrival(family, markA.id)];
    live.hub.broadcastGroup(
      await testIngest(ctx).handleGroup([
        { topic: TOPIC_A, payload: batch(markA) },
        { topic: TOPIC_B, payload: batch(markB) },
      ]),
    );
    await Promise.all(markers);

    expect(seenA.batches.map((b) => [b.wardId, ids(b.observations)])).toEqual([
      ['ward-a', [a1.id, a2.id, a3.id]],
      ['ward-a', [markA.id]],
    ]);
    expect(seenB.batches.map((b) => [b.wardId, ids(b.observations)])).toEqual([
      ['ward-b', [b1.id, b2.id]],
      ['ward-b', [markB.id]],
    ]);
    expect(seenA.batches[0]!.observations[1]).toMatchObject({ wardId: 'ward-a', patientId: 'ward-a-p002' });
    // Staff rooms get no per-reading events; a family member gets no ward batches.
    expect([seenA.singles, seenB.singles, seenFamily.batches]).toEqual([[], [], []]);
    // The family member: their relative's readings only, one event each, in order.
    expect(ids(seenFamily.singles)).toEqual([a1.id, a3.id, markA.id]);
    expect(seenFamily.singles.every((e) => e.patientId === RELATIVE)).toBe(true);
  });

  it("reaches the ward's dashboards with a staff-entered observation, as a batch of one", async () => {
    const nurseA = await open('nurse', 'ward-a');
    const seen = record(nurseA);
    const batchArrived = new Promise<ObservationBatchEvent>((resolve) =>
      nurseA.once('observations', resolve),
    );
    const res = await live.app.inject({
      method: 'POST',
      url: `/api/patients/${RELATIVE}/manual-observations`,
      headers: { authorization: `Bearer ${await signInToken(live.app, 'nurse')}` },
      payload: { respirationRate: 18 },
    });
    expect(res.statusCode, res.body).toBe(201);
    const event = await batchArrived;
    expect(event.wardId).toBe('ward-a');
    expect(event.observations).toEqual([
      expect.objectContaining({
        patientId: RELATIVE,
        observation: expect.objectContaining({ kind: 'respiration_rate' }),
      }),
    ]);
    expect(seen.singles).toEqual([]);
  });
});
