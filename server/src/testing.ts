import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { Channel, gatewayTopic, type Observation } from '@wardline/protocol';
import { createContext, type ServerContext } from './context.js';
import { openDatabase } from './db/database.js';
import { seedDemo, type SeedWard } from './demo/seed.js';
import { createIngest } from './ingest/ingest.js';

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

export const OBS_TOPIC = gatewayTopic({ site: 'site-a', gateway: 'gw-1' }, Channel.observations);

export async function testContext(): Promise<ServerContext> {
  const ctx = createContext(openDatabase(':memory:'));
  await seedDemo(ctx, testFleet, TEST_PASSWORD, { N: 2 ** 10, r: 8, p: 1 });
  return ctx;
}

/** `now` fixes the ingest clock, for fixtures with fixed dates (time checks are relative to it). */
export function testIngest(ctx: ServerContext, options: { now?: () => Date } = {}) {
  return createIngest({
    db: ctx.db,
    observations: ctx.observations,
    devices: ctx.devices,
    deadLetters: ctx.deadLetters,
    metrics: ctx.metrics,
    log: pino({ level: 'silent' }),
    ...options,
  });
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
