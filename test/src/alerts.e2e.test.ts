/**
 * Clinical alerting on real parts: simulated falls-sensor bytes -> gateway -> broker -> server
 * -> alert on the nurses' socket, the family's (limited) socket and the family's mailbox in a
 * real SMTP peer; 50 concurrent MQTT messages crossing a threshold; escalation to a real HTTP
 * pager/SMS receiver (signed, retried) resumed across a server restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedHome } from '@wardline/firmware-sim';
import { startGateway, type RunningGateway } from '@wardline/gateway';
import type { RunningBroker } from '@wardline/broker';
import {
  Channel,
  gatewayTopic,
  type Alert,
  type AlertEvent,
  type AlertWithHistory,
  type Observation,
} from '@wardline/protocol';
import {
  defaultAlertingConfig,
  verifyWebhook,
  SIGNATURE_HEADER,
  type AlertingConfig,
  type RunningServer,
} from '@wardline/server';
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { io } from 'socket.io-client';
import { startSmtpPeer, type SmtpPeer } from '../../server/src/testing-smtp.js';
import {
  apiGet,
  bpReading,
  connectGatewayClient,
  gatewayPassword,
  joinWardSocket,
  signIn,
  startTestBroker,
  startTestServer,
  tempDir,
  waitUntil,
  type WardSocket,
} from './support.js';

const WEBHOOK_SECRET = 'e2e-webhook-secret';

interface Delivery {
  headers: Record<string, string | string[] | undefined>;
  body: string;
  answered: number;
}

/** The pager / SMS gateway: a real HTTP receiver; answers 500 to the first `failFirst` requests. */
async function startReceiver(
  failFirst = 0,
): Promise<{ server: Server; url: string; deliveries: Delivery[] }> {
  const deliveries: Delivery[] = [];
  let failures = failFirst;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answered = failures-- > 0 ? 500 : 200;
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks).toString(), answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/page`, deliveries };
}

const serverWith = (brokerPort: number, databasePath: string, alerting: AlertingConfig) =>
  startTestServer(brokerPort, databasePath, { config: { alerting } });

const OBS_TOPIC = gatewayTopic({ site: 'site-e2e', gateway: 'gw-1' }, Channel.observations);

describe('alerts end to end', () => {
  let broker: RunningBroker;
  let server: RunningServer;
  let smtp: SmtpPeer;
  let baseUrl: string;
  let nurse: string;

  beforeAll(async () => {
    broker = await startTestBroker();
    smtp = await startSmtpPeer();
    server = await serverWith(broker.port, join(tempDir('alerts'), 'wardline.db'), {
      ...defaultAlertingConfig(),
      smtp: smtp.settings('Wardline <alerts@wardline.test>'),
    });
    baseUrl = `http://127.0.0.1:${server.port}`;
    await waitUntil(() => server.context.mqttConnected(), 'server MQTT session');
    nurse = await signIn(baseUrl, 'nurse');
  });
  afterAll(async () => {
    await server?.close();
    await broker?.close();
    await smtp?.close();
  });

  it('carries a simulated fall to the ward socket, the family socket (limited) and the family mailbox', async () => {
    const home = new SimulatedHome({
      residents: [{ scenario: 'normal', cuffId: 'e2:00:00:00:00:01', fallsSensorId: 'e2:00:00:00:01:01' }],
      seed: 11,
    });
    const gateway: RunningGateway = await startGateway({
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
    const ward: WardSocket = await joinWardSocket(baseUrl, nurse, 'ward-e2e');
    const family = io(baseUrl, {
      auth: { token: await signIn(baseUrl, 'family') },
      transports: ['websocket'],
      reconnection: false,
    });
    await new Promise<void>((resolve, reject) => {
      family.once('connect', () => resolve());
      family.once('connect_error', reject);
    });
    const staffEvents: { at: number; event: AlertEvent }[] = [];
    const familyEvents: AlertEvent[] = [];
    ward.on('alert', (event) => staffEvents.push({ at: Date.now(), event }));
    family.on('alert', (event: AlertEvent) => familyEvents.push(event));
    try {
      home.connectAll();
      const fallAt = new Date();
      home.residents[0]!.fallsSensor.fall(90, fallAt);
      const { at, event } = await waitUntil(
        () => staffEvents.find((e) => e.event.alert.condition === 'fall'),
        'fall alert on the ward socket',
      );
      console.log(`fall: measurement -> alert on the dashboard socket in ${at - fallAt.getTime()} ms`);
      expect(event).toMatchObject({
        type: 'opened',
        alert: {
          priority: 'critical',
          state: 'open',
          patientId: 'ward-e2e-p001',
          wardId: 'ward-e2e',
          limited: false,
        },
      });
      expect(event.alert.detail).toMatchObject({ confidence: 90, deviceId: 'e2:00:00:00:01:01' });

      const familyEvent = await waitUntil(() => familyEvents[0], 'fall alert on the family socket');
      expect(familyEvent.alert).toMatchObject({
        condition: 'fall',
        limited: true,
        detail: null,
        message: 'A fall was detected; staff are responding.',
      });

      const mail = await waitUntil(
        () => smtp.mailbox.find((m) => m.to.includes('family@wardline-demo.invalid')),
        'the family email in the SMTP peer',
      );
      console.log(`fall: measurement -> family mailbox in ${Date.now() - fallAt.getTime()} ms`);
      expect(mail.text).toContain('A fall was detected; staff are responding.');
      expect(mail.text).not.toMatch(/confidence|e2:00:00/);
      const detail = await apiGet<AlertWithHistory>(baseUrl, `/api/alerts/${event.alert.id}`, nurse);
      expect(detail.notifications).toEqual([
        expect.objectContaining({ audience: 'family', channel: 'email', state: 'sent', attempts: 1 }),
      ]);
      // The sensor repeats its event over the air: still exactly one fall alert.
      await sleep(2500);
      expect(staffEvents.filter((e) => e.event.alert.condition === 'fall')).toHaveLength(1);
    } finally {
      ward.disconnect();
      family.disconnect();
      home.stop();
      await gateway.stop(1000);
    }
  });

  it('opens exactly one alert for 50 concurrent messages crossing a threshold', async () => {
    const client = await connectGatewayClient(broker.port);
    try {
      // Spread over five minutes: a BP alert needs its high readings at least a minute apart.
      const readings: Observation[] = Array.from({ length: 50 }, (_, i) => ({
        ...bpReading('e2:00:00:00:00:02', 188 + (i % 5)),
        measuredAt: new Date(Date.now() - 330_000 + i * 6_000).toISOString(),
      }));
      await Promise.all(
        readings.map((r) =>
          client.publishAsync(
            OBS_TOPIC,
            JSON.stringify({ v: 1, sentAt: new Date().toISOString(), observations: [r] }),
            {
              qos: 1,
            },
          ),
        ),
      );
      await waitUntil(
        async () =>
          (await server.context.sql.get<{ n: number }>(
            `SELECT count(*) AS n FROM observations WHERE patient_id = 'ward-e2e-p002'`,
          ))!.n >= 50,
        'all 50 readings stored',
      );
      const open = await apiGet<Alert[]>(
        baseUrl,
        '/api/alerts?state=unresolved&patientId=ward-e2e-p002',
        nurse,
      );
      expect(open.map((a) => a.condition)).toEqual(['bp_high']);
      const all = await server.context.sql.get(
        `SELECT count(*) AS n FROM alerts WHERE patient_id = 'ward-e2e-p002' AND condition = 'bp_high'`,
      );
      expect(all).toEqual({ n: 1 });
    } finally {
      await client.endAsync();
    }
  });
});

describe('escalation across a restart', () => {
  it('escalates an unacknowledged help call once, signed and retried, even with the server down when it fell due', async () => {
    const broker = await startTestBroker();
    const pager = await startReceiver(1);
    const databasePath = join(tempDir('escalation'), 'wardline.db');
    const config: AlertingConfig = {
      ...defaultAlertingConfig(),
      escalateAfterMs: { critical: 3000, high: 3000, medium: null, low: null },
      levels: [
        { name: 'ward team', emails: [], webhooks: [] },
        { name: 'nurse in charge', emails: [], webhooks: [pager.url] },
        { name: 'on-call clinician', emails: [], webhooks: [] },
      ],
      webhookSecret: WEBHOOK_SECRET,
      retryBaseMs: 200,
    };
    let server = await serverWith(broker.port, databasePath, config);
    try {
      await waitUntil(() => server.context.mqttConnected(), 'server MQTT session');
      const client = await connectGatewayClient(broker.port);
      const help = {
        id: randomUUID(),
        deviceId: 'e2:00:00:00:01:01',
        kind: 'help_request',
        measuredAt: new Date().toISOString(),
        seq: 1,
        values: {},
      };
      await client.publishAsync(
        OBS_TOPIC,
        JSON.stringify({ v: 1, sentAt: new Date().toISOString(), observations: [help] }),
        {
          qos: 1,
        },
      );
      await client.endAsync();
      const opened = await waitUntil(
        async () => (await server.context.alerting.store.list({ condition: 'help_request', limit: 1 }))[0],
        'help alert',
      );
      const dueAt = Date.parse(opened.next_escalation_at!);
      await server.close();
      // Down across the due time.
      await sleep(Math.max(0, dueAt - Date.now()) + 500);
      expect(pager.deliveries).toEqual([]);
      server = await serverWith(broker.port, databasePath, config);

      const delivered = await waitUntil(
        () => pager.deliveries.find((d) => d.answered === 200),
        'pager delivery',
      );
      const body = JSON.parse(delivered.body) as { event: string; alert: { id: number; level: number } };
      expect(body).toMatchObject({
        event: 'escalated',
        alert: { id: opened.id, level: 2, levelName: 'nurse in charge' },
      });
      const signature = delivered.headers[SIGNATURE_HEADER] as string;
      expect(verifyWebhook(WEBHOOK_SECRET, delivered.body, signature, Math.floor(Date.now() / 1000))).toBe(
        true,
      );
      expect(verifyWebhook('wrong secret', delivered.body, signature, Math.floor(Date.now() / 1000))).toBe(
        false,
      );
      // A replay an hour later is refused by its time stamp.
      expect(
        verifyWebhook(WEBHOOK_SECRET, delivered.body, signature, Math.floor(Date.now() / 1000) + 3600),
      ).toBe(false);
      // The first attempt got HTTP 500 and was retried: two requests, one notification, sent.
      expect(pager.deliveries.map((d) => d.answered)).toEqual([500, 200]);

      await sleep(1000); // before the next level falls due
      const transitions = (await server.context.alerting.store.transitions(opened.id)).map((t) => [
        t.type,
        t.level,
      ]);
      expect(transitions).toEqual([
        ['opened', 1],
        ['escalated', 2],
      ]);
      const notes = await server.context.alerting.outbox.forAlert(opened.id);
      expect(notes.filter((n) => n.audience === 'staff')).toEqual([
        expect.objectContaining({ channel: 'webhook', state: 'sent', attempts: 2 }),
      ]);
      // Without SMTP the family's email is recorded as not configured, never silently dropped.
      expect(notes.filter((n) => n.audience === 'family')).toEqual([
        expect.objectContaining({ channel: 'email', state: 'not_configured' }),
      ]);
    } finally {
      await server.close();
      await broker.close();
      await new Promise<void>((resolve) => pager.server.close(() => resolve()));
    }
  });
});
