/**
 * The whole chain on real parts: simulated device bytes -> gateway (decode, validate, publish)
 * -> our broker (authenticated) -> server (validate, store) -> socket.io and the REST history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedHome } from '@wardline/firmware-sim';
import { startGateway, type RunningGateway } from '@wardline/gateway';
import type { RunningBroker } from '@wardline/broker';
import type { ObservationEvent, StoredObservation } from '@wardline/protocol';
import type { RunningServer } from '@wardline/server';
import { pino } from 'pino';
import {
  apiGet,
  gatewayPassword,
  joinWardSocket,
  signIn,
  startTestBroker,
  startTestServer,
  waitUntil,
  type WardSocket,
} from './support.js';

describe('device bytes to dashboard socket', () => {
  let broker: RunningBroker;
  let server: RunningServer;
  let gateway: RunningGateway;
  let socket: WardSocket;
  let baseUrl: string;
  let nurse: string;
  const home = new SimulatedHome({
    residents: [
      { scenario: 'hypertensive', cuffId: 'e2:00:00:00:00:01', fallsSensorId: 'e2:00:00:00:01:01' },
      { scenario: 'normal', cuffId: 'e2:00:00:00:00:02', cuff: { units: 'kPa' } },
    ],
    seed: 7,
  });
  const events: ObservationEvent[] = [];
  const nextEvent = (predicate: (e: ObservationEvent) => boolean) =>
    waitUntil(() => events.find(predicate), 'observation event on the ward socket');

  beforeAll(async () => {
    broker = await startTestBroker();
    server = await startTestServer(broker.port);
    baseUrl = `http://127.0.0.1:${server.port}`;
    await waitUntil(() => server.context.mqttConnected(), 'server MQTT session');
    nurse = await signIn(baseUrl, 'nurse');
    socket = await joinWardSocket(baseUrl, nurse, 'ward-e2e');
    socket.on('observations', (batch) => events.push(...batch.observations));
    gateway = await startGateway({
      site: 'site-e2e',
      gateway: 'gw-1',
      broker: {
        url: `mqtt://127.0.0.1:${broker.port}`,
        username: 'site-e2e.gw-1',
        password: gatewayPassword('site-e2e', 'gw-1'),
      },
      source: home,
      logger: pino({ level: 'silent' }),
    });
    home.connectAll();
  });
  afterAll(async () => {
    socket?.disconnect();
    home.stop();
    await gateway?.stop(1000);
    await server?.close();
    await broker?.close();
  });

  it('delivers a cuff reading once, with exact values, units and the device measurement time', async () => {
    const taken = home.takeReading(0);
    const event = await nextEvent((e) => e.observation.deviceId === 'e2:00:00:00:00:01');
    expect(event).toMatchObject({ wardId: 'ward-e2e', bedId: 'ward-e2e-bed-1', patientId: 'ward-e2e-p001' });
    const { observation } = event;
    expect(observation.kind).toBe('blood_pressure');
    expect(observation.measuredAt).toBe(taken.at.toISOString());
    expect(observation.values).toMatchObject({
      systolic: { value: taken.measurement.systolic, unit: 'mmHg' },
      diastolic: { value: taken.measurement.diastolic, unit: 'mmHg' },
      pulseRate: { value: taken.measurement.pulseRate, unit: 'bpm' },
    });

    const rows = await server.context.sql.get('SELECT count(*) AS n FROM observations WHERE id = ?', [
      observation.id,
    ]);
    expect(rows).toEqual({ n: 1 });
    const history = await apiGet<StoredObservation[]>(
      baseUrl,
      '/api/patients/ward-e2e-p001/observations?kind=blood_pressure',
      nurse,
    );
    expect(history.map((h) => h.observation)).toEqual([observation]);
  });

  it('converts a kPa cuff to mmHg at the gateway', async () => {
    const taken = home.takeReading(1);
    const { observation } = await nextEvent((e) => e.observation.deviceId === 'e2:00:00:00:00:02');
    const systolic = (observation.values as { systolic: { value: number; unit: string } }).systolic;
    expect(taken.measurement.unit).toBe('kPa');
    expect(systolic.unit).toBe('mmHg');
    expect(systolic.value).toBeCloseTo(taken.vitals.systolic, 0);
  });

  it('carries a fall from the sensor to the ward socket, and logs how long it took', async () => {
    const sensor = home.residents[0]!.fallsSensor!;
    const fallAt = new Date();
    sensor.fall(88, fallAt);
    const event = await nextEvent((e) => e.observation.kind === 'fall');
    const receivedAt = Date.now();
    expect(event.observation).toMatchObject({
      deviceId: 'e2:00:00:00:01:01',
      values: { confidence: { value: 88, unit: '%' } },
    });
    console.log(`fall: measurement -> dashboard socket in ${receivedAt - fallAt.getTime()} ms`);
    // Repeats of the same over-the-air event must not become three falls.
    await new Promise((done) => setTimeout(done, 2500));
    expect(events.filter((e) => e.observation.kind === 'fall')).toHaveLength(1);
  });
});
