/**
 * The gateway's real BLE path end to end: simulated cuff, oximeter, thermometer and falls sensor
 * -> SimulatedBinding -> noble's own objects (with-bindings) -> NobleCentral -> gateway (decode,
 * validate, durable outbox) -> our broker -> server. Values, units and measurement times exact;
 * garbage from a device is reported, not fatal; a device that drops mid-measurement reconnects
 * and its reading arrives.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '@wardline/broker';
import {
  SimulatedBinding,
  SimulatedBpCuff,
  SimulatedFallsSensor,
  SimulatedPulseOximeter,
  SimulatedThermometer,
} from '@wardline/firmware-sim';
import {
  NobleCentral,
  nobleWithBinding,
  SqliteOutbox,
  startGateway,
  type RunningGateway,
} from '@wardline/gateway';
import { bloodPressure, type DeviceStatus, type StoredObservation } from '@wardline/protocol';
import type { RunningServer } from '@wardline/server';
import { pino } from 'pino';
import {
  apiGet,
  gatewayPassword,
  signIn,
  startTestBroker,
  startTestServer,
  tempDir,
  waitUntil,
} from './support.js';

const CUFF = 'e2:00:00:00:00:11';
const FALLS = 'e2:00:00:00:01:11';
const OXIMETER = 'e2:00:00:00:02:11';
const THERMOMETER = 'e2:00:00:00:03:11';
const PATIENT = 'ward-e2e-p011';

interface Row {
  kind: string;
  measured_at: string;
  values_json: string;
}

describe('devices through noble to the server', () => {
  let broker: RunningBroker;
  let server: RunningServer;
  let gateway: RunningGateway;
  let central: NobleCentral;
  let baseUrl: string;
  const cuff = new SimulatedBpCuff({ deviceId: CUFF, clockErrorMs: -7_200_000, battery: 64 });
  const sensor = new SimulatedFallsSensor({ deviceId: FALLS, urgentRepeatCount: 1 });
  const oximeter = new SimulatedPulseOximeter({ deviceId: OXIMETER });
  const thermometer = new SimulatedThermometer({ deviceId: THERMOMETER, unit: 'fahrenheit', site: 'mouth' });
  const binding = new SimulatedBinding([cuff, sensor, oximeter, thermometer], { advertiseIntervalMs: 25 });

  const rows = (deviceId: string) =>
    server.context.sql.all<Row>(
      'SELECT kind, measured_at, values_json FROM observations WHERE device_id = ? ORDER BY seq',
      [deviceId],
    );
  /** The device's rows once there are more than `count`, else null (for waitUntil). */
  const rowsBeyond = async (deviceId: string, count: number) => {
    const found = await rows(deviceId);
    return found.length > count ? found : null;
  };
  const values = (row: Row | undefined) => JSON.parse(row?.values_json ?? 'null') as unknown;

  beforeAll(async () => {
    broker = await startTestBroker();
    server = await startTestServer(broker.port);
    baseUrl = `http://127.0.0.1:${server.port}`;
    await waitUntil(() => server.context.mqttConnected(), 'server MQTT session');
    central = new NobleCentral({
      noble: nobleWithBinding(binding),
      logger: pino({ level: 'silent' }),
      allow: { addresses: [CUFF, FALLS, OXIMETER, THERMOMETER], services: [] },
      backoffBaseMs: 50,
      backoffMaxMs: 500,
    });
    gateway = await startGateway({
      site: 'site-e2e',
      gateway: 'gw-3',
      broker: {
        url: `mqtt://127.0.0.1:${broker.port}`,
        username: 'site-e2e.gw-3',
        password: gatewayPassword('site-e2e', 'gw-3'),
      },
      source: central,
      outbox: new SqliteOutbox({ path: join(tempDir('noble'), 'outbox.db') }),
      statusIntervalMs: 500,
      logger: pino({ level: 'silent' }),
    });
    await central.start();
    await waitUntil(() => central.connectedDevices().length === 4, 'all four devices connected', 10_000);
  });
  afterAll(async () => {
    await central?.stop();
    binding.stop();
    await gateway?.stop(1000);
    await server?.close();
    await broker?.close();
  });

  it('cuff: exact mmHg values, pulse in bpm, and the device time after the gateway set its clock', async () => {
    expect(cuff.clockWrites).toBe(1);
    const taken = cuff.measure({ systolic: 134, diastolic: 86, meanArterial: 102, pulseRate: 71 });
    const [row] = await waitUntil(() => rowsBeyond(CUFF, 0), 'cuff reading');
    expect(row?.kind).toBe('blood_pressure');
    expect(row?.measured_at).toBe(taken.at.toISOString());
    expect(Math.abs(taken.at.getTime() - Date.now())).toBeLessThan(5000); // 2 h error corrected
    expect(values(row)).toEqual({
      systolic: { value: 134, unit: 'mmHg' },
      diastolic: { value: 86, unit: 'mmHg' },
      meanArterial: { value: 102, unit: 'mmHg' },
      pulseRate: { value: 71, unit: 'bpm' },
    });
  });

  it('oximeter spot-check: SpO2 in % and pulse in bpm', async () => {
    const taken = oximeter.spotCheck(94, 88);
    const [row] = await waitUntil(() => rowsBeyond(OXIMETER, 0), 'SpO2 reading');
    expect(row?.kind).toBe('spo2');
    expect(row?.measured_at).toBe(taken.at.toISOString());
    expect(values(row)).toEqual({ spo2: { value: 94, unit: '%' }, pulseRate: { value: 88, unit: 'bpm' } });
  });

  it('thermometer in °F: stored in °C with the site', async () => {
    const taken = thermometer.measure(38.2);
    expect(taken.measurement.temperature).toBe(100.8); // °F on the wire
    const [row] = await waitUntil(() => rowsBeyond(THERMOMETER, 0), 'temperature reading');
    expect(row?.kind).toBe('body_temperature');
    expect(values(row)).toEqual({ temperature: { value: 38.22, unit: '°C' }, site: 'mouth' });
  });

  it('falls sensor: the fall reaches the patient history with its confidence', async () => {
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    sensor.fall(93, at);
    const nurse = await signIn(baseUrl, 'nurse');
    const history = await waitUntil(async () => {
      const list = await apiGet<StoredObservation[]>(
        baseUrl,
        `/api/patients/${PATIENT}/observations?kind=fall`,
        nurse,
      );
      return list.length > 0 ? list : null;
    }, 'fall in the history');
    expect(history[0]?.observation).toMatchObject({
      deviceId: FALLS,
      measuredAt: at.toISOString(),
      values: { confidence: { value: 93, unit: '%' } },
    });
  });

  it('garbage from a device is reported as its lastError and the device keeps working', async () => {
    cuff.inject(
      bloodPressure.BLOOD_PRESSURE_SERVICE_UUID,
      bloodPressure.BLOOD_PRESSURE_MEASUREMENT_UUID,
      Uint8Array.of(0x1e, 0x78),
    );
    await waitUntil(
      () => gateway.devices().find((d) => d.deviceId === CUFF)?.lastError === 'TRUNCATED',
      'the decode error on the device status',
    );
    expect(gateway.stats().dispatch.decodeErrors).toMatchObject({ TRUNCATED: 1 });
    const before = (await rows(CUFF)).length;
    cuff.measure({ systolic: 120, diastolic: 80, meanArterial: 93, pulseRate: 60 });
    await waitUntil(async () => (await rows(CUFF)).length === before + 1, 'the next good reading');
  });

  it('a device that drops mid-measurement reconnects and its reading arrives; weak signal is reported', async () => {
    const before = (await rows(CUFF)).length;
    binding.setRssi(CUFF, -97);
    binding.outOfRange(CUFF);
    await waitUntil(
      () => gateway.devices().find((d) => d.deviceId === CUFF)?.connected === false,
      'disconnected',
    );
    const taken = cuff.measure({ systolic: 151, diastolic: 95, meanArterial: 114, pulseRate: 77 }); // kept by the cuff
    await new Promise((resolve) => setTimeout(resolve, 300));
    binding.backInRange(CUFF);
    const all = await waitUntil(
      async () => {
        const found = await rows(CUFF);
        return found.length === before + 1 ? found : null;
      },
      'the kept reading',
      10_000,
    );
    expect(all.at(-1)?.measured_at).toBe(taken.at.toISOString());
    expect(values(all.at(-1))).toMatchObject({ systolic: { value: 151, unit: 'mmHg' } });
    const status = await waitUntil(
      async () => {
        const row = await server.context.sql.get<{ status_json: string | null }>(
          'SELECT status_json FROM devices WHERE id = ?',
          [CUFF],
        );
        const parsed = row?.status_json ? (JSON.parse(row.status_json) as DeviceStatus) : null;
        return parsed?.connected && parsed.rssi?.value === -97 ? parsed : null;
      },
      'device status at the server with the weak RSSI',
      10_000,
    );
    expect(status.battery).toEqual({ value: 64, unit: '%' });
  });
});
