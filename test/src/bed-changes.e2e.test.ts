/** Admissions, discharges and device assignments reach open ward screens at once. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '@wardline/broker';
import type { BedChangedEvent } from '@wardline/protocol';
import type { RunningServer } from '@wardline/server';
import {
  joinWardSocket,
  signIn,
  startTestBroker,
  startTestServer,
  waitUntil,
  type WardSocket,
} from './support.js';

describe('bed changes on the ward socket', () => {
  let broker: RunningBroker;
  let server: RunningServer;
  let socket: WardSocket;
  let baseUrl: string;
  let admin: string;
  const events: BedChangedEvent[] = [];
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  beforeAll(async () => {
    broker = await startTestBroker();
    server = await startTestServer(broker.port);
    baseUrl = `http://127.0.0.1:${server.port}`;
    admin = await signIn(baseUrl, 'admin');
    socket = await joinWardSocket(baseUrl, await signIn(baseUrl, 'nurse'), 'ward-e2e');
    socket.on('bedChanged', (event) => events.push(event));
  });
  afterAll(async () => {
    socket?.disconnect();
    await server?.close();
    await broker?.close();
  });

  it('announces a discharge, an admission and a device assignment to the ward room', async () => {
    expect((await call('POST', '/api/patients/ward-e2e-p002/discharge')).status).toBe(200);
    await waitUntil(
      () => events.find((e) => e.bedId === 'ward-e2e-bed-2' && e.patient === null),
      'discharge event',
    );

    const admitted = (await (
      await call('POST', '/api/patients', { displayName: 'Nell Example', bedId: 'ward-e2e-bed-2' })
    ).json()) as { id: string };
    const admission = await waitUntil(
      () => events.find((e) => e.patient?.id === admitted.id),
      'admission event',
    );
    expect(admission).toMatchObject({
      wardId: 'ward-e2e',
      bedId: 'ward-e2e-bed-2',
      patient: { bedLabel: 'Room 2' },
    });

    const before = events.length;
    expect(
      (await call('PUT', '/api/devices/e2:00:00:00:00:02/assignment', { patientId: admitted.id })).status,
    ).toBe(200);
    await waitUntil(() => events.length > before, 'assignment event');
    expect(events.at(-1)).toMatchObject({ bedId: 'ward-e2e-bed-2', patient: { id: admitted.id } });
  });
});
