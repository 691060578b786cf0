/**
 * The demo's care home for measuring the built dashboard in a browser: the demo fleet (as
 * `npm start` seeds it) on a real broker and server serving dashboard/dist, six hours of
 * blood-pressure history for every resident of Larkspur House, the demo's story on top (two
 * residents with severe hypertension, one deteriorating, one fall ten minutes ago), and new
 * readings sent on demand, as a live ward receives them.
 */
import type { RunningBroker } from '@wardline/broker';
import { demoFleet, type DemoResident } from '@wardline/firmware-sim/demo-fleet';
import type { BedState, Observation } from '@wardline/protocol';
import type { RunningServer } from '@wardline/server';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import {
  apiGet,
  batchPayload,
  brokerUsers,
  builtDashboard,
  connectGatewayClient,
  signIn,
  startTestBroker,
  startTestServer,
  tempDir,
  waitUntil,
} from './support.js';

export const DEMO_WARD_ID = 'larkspur-house';
export const DEMO_PATIENT_ID = 'larkspur-house-p001';
const TOPIC = 'wardline/v1/larkspur/gw-01/obs';
const HISTORY_HOURS = 6;

export interface DemoWard {
  baseUrl: string;
  broker: RunningBroker;
  server: RunningServer;
  /**
   * Sends one blood pressure reading now to the next resident in turn with nothing going on: an
   * ordinary one, or (`high`) one that opens an alert.
   */
  sendLiveReading(options?: { high?: boolean }): Promise<void>;
  close(): Promise<void>;
}

const residents = () =>
  demoFleet()
    .find((w) => w.id === DEMO_WARD_ID)!
    .gateways.flatMap((g) => g.residents);
const deviceOf = (r: DemoResident, model: 'bp-cuff' | 'falls-sensor') =>
  r.devices.find((d) => d.model === model)!.id;

let seq = 1;
function bp(deviceId: string, measuredAt: number, systolic: number): Observation {
  return {
    id: randomUUID(),
    deviceId,
    kind: 'blood_pressure',
    measuredAt: new Date(measuredAt).toISOString(),
    seq: seq++,
    values: {
      systolic: { value: systolic, unit: 'mmHg' },
      diastolic: { value: Math.round(systolic * 0.6), unit: 'mmHg' },
      pulseRate: { value: 60 + (systolic % 25), unit: 'bpm' },
    },
  };
}

function fall(deviceId: string, measuredAt: number): Observation {
  return {
    id: randomUUID(),
    deviceId,
    kind: 'fall',
    measuredAt: new Date(measuredAt).toISOString(),
    seq: seq++,
    values: { confidence: { value: 91, unit: '%' } },
  };
}

/** What each demo scenario shows when the ward is opened: the demo's own story, as `npm start` tells it. */
function latest(r: DemoResident, at: number): Observation[] {
  const cuff = deviceOf(r, 'bp-cuff');
  switch (r.scenario) {
    case 'hypertensive':
      return [bp(cuff, at, 184)];
    case 'deteriorating':
      return [bp(cuff, at, 88)];
    case 'fall':
      return [bp(cuff, at, 126), fall(deviceOf(r, 'falls-sensor'), at)];
    case 'normal':
      return [bp(cuff, at, 122)];
  }
}

export async function startDemoWard({ dashboardDir = builtDashboard } = {}): Promise<DemoWard> {
  const fleet = demoFleet();
  const broker = await startTestBroker(await brokerUsers(fleet));
  let server: RunningServer | undefined;
  let gateway: MqttClient | undefined;
  try {
    server = await startTestServer(broker.port, join(tempDir('demo-ward'), 'wardline.db'), {
      wards: fleet,
      dashboardDir,
    });
    const running = server;
    await waitUntil(() => running.context.mqttConnected(), 'server MQTT session');
    gateway = await connectGatewayClient(broker.port, 'larkspur', 'gw-01');
    const baseUrl = `http://127.0.0.1:${server.port}`;

    const ward = residents();
    const now = Date.now();
    for (const [i, r] of ward.entries()) {
      const history = Array.from({ length: HISTORY_HOURS * 2 }, (_, k) =>
        bp(deviceOf(r, 'bp-cuff'), now - (HISTORY_HOURS * 2 - k) * 30 * 60_000, 118 + ((i * 7 + k * 3) % 20)),
      );
      await gateway.publishAsync(TOPIC, batchPayload(...history, ...latest(r, now - 10 * 60_000)), {
        qos: 1,
      });
    }
    const token = await signIn(baseUrl, 'nurse');
    await waitUntil(
      async () =>
        (await apiGet<BedState[]>(baseUrl, `/api/wards/${DEMO_WARD_ID}/beds`, token)).every(
          (b) => !b.patient || b.latest['blood_pressure'] !== undefined,
        ),
      'demo history stored',
    );

    // Ordinary readings go to residents with nothing going on, so they change what a card says,
    // not whether the resident needs attention.
    const routine = ward.filter((r) => r.scenario === 'normal');
    let turn = 0;
    const client = gateway;
    return {
      baseUrl,
      broker,
      server,
      async sendLiveReading({ high = false } = {}) {
        const r = routine[turn++ % routine.length]!;
        const systolic = high ? 186 : 116 + (turn % 12);
        await client.publishAsync(TOPIC, batchPayload(bp(deviceOf(r, 'bp-cuff'), Date.now(), systolic)), {
          qos: 1,
        });
      },
      async close() {
        await client.endAsync();
        await running.close();
        await broker.close();
      },
    };
  } catch (err) {
    await gateway?.endAsync();
    await server?.close();
    await broker.close();
    throw err;
  }
}
