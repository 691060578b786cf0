/**
 * Notifications on real peers: an SMTP server (smtp-server, in process, on a real socket) and an
 * HTTP receiver standing in for the pager / SMS gateway. The alert engine runs on a test clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { FamilyContactInput } from '@wardline/protocol';
import { defaultAlertingConfig } from '../alerts/config.js';
import { alertTestbed, bp, obsBatch, reading } from '../alerts/testing.js';
import { OBS_TOPIC } from '../testing.js';
import { startSmtpPeer, type SmtpPeer } from '../testing-smtp.js';
import { verifyWebhook } from './webhook.js';

const SECRET = 'test-secret';
const P1 = 'ward-a-p001';
const FALLS = 'aa:00:00:00:01:01';

describe('notifications', () => {
  let smtp: SmtpPeer;
  let http: Server;
  const hooks: { body: Record<string, unknown>; signature: string }[] = [];
  let bed: Awaited<ReturnType<typeof alertTestbed>>;

  beforeEach(async () => {
    hooks.length = 0;
    smtp = await startSmtpPeer();
    http = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        hooks.push({
          body: JSON.parse(body) as Record<string, unknown>,
          signature: String(req.headers['x-wardline-signature']),
        });
        expect(
          verifyWebhook(
            SECRET,
            body,
            String(req.headers['x-wardline-signature']),
            Math.floor(Date.now() / 1000),
          ),
        ).toBe(true);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const pager = `http://127.0.0.1:${(http.address() as { port: number }).port}/pager`;
    bed = await alertTestbed({
      config: {
        smtp: smtp.settings('alerts@wardline.test'),
        webhookSecret: SECRET,
        smsWebhookUrl: `http://127.0.0.1:${(http.address() as { port: number }).port}/sms`,
        levels: [
          { name: 'ward team', emails: ['ward@example.org'], webhooks: [pager] },
          ...defaultAlertingConfig().levels.slice(1),
        ],
        recipientMinGapMs: 60_000,
      },
    });
    // Only the contacts each test adds.
    for (const c of await bed.ctx.alerting.contacts.list(P1))
      await bed.ctx.alerting.contacts.remove(c.id, 'test', new Date().toISOString());
    await bed.ctx.alerting.start();
  });
  afterEach(async () => {
    await bed.ctx.alerting.stop();
    await smtp.close();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });

  const send = (...obs: Parameters<typeof obsBatch>[1][]) =>
    bed.send(OBS_TOPIC, obsBatch(bed.clock.now, ...obs));
  const ago = (ms: number) => new Date(bed.clock.now.getTime() - ms);
  const notes = () =>
    bed.ctx.sql.all<{
      audience: string;
      channel: string;
      recipient: string;
      state: string;
      lastError: string | null;
      nextAt: string;
    }>(
      `SELECT audience, channel, recipient, state, last_error AS "lastError", next_attempt_at AS "nextAt" FROM notifications ORDER BY id`,
    );
  const contact = (over: Partial<FamilyContactInput>): FamilyContactInput => ({
    name: 'Relative',
    timeZone: 'UTC',
    quietHours: null,
    consent: { notify: true, clinicalDetail: false, fallsDuringQuietHours: false },
    consentNote: 'signed form',
    ...over,
  });

  it('emails and pages the ward team, signed; a recipient gets one message per gap, but a fall is never held back', async () => {
    await send(bp(190, 100, 70, ago(62_000)), bp(192, 100, 70, ago(1000))); // bp_high, medium, resident 1
    await bed.ctx.alerting.deliver();
    expect(smtp.mailbox.map((m) => m.to)).toEqual([['ward@example.org']]);
    expect(smtp.mailbox[0]!.text).toContain('Blood pressure high');
    expect(hooks.map((h) => (h.body.alert as { condition: string }).condition)).toEqual(['bp_high']);

    await send(
      bp(190, 100, 70, ago(61_000), 'aa:00:00:00:00:02'),
      bp(191, 100, 70, ago(700), 'aa:00:00:00:00:02'),
    );
    await bed.ctx.alerting.deliver();
    expect(smtp.mailbox).toHaveLength(1); // the same recipients, inside the minimum gap: held, not dropped
    expect((await notes()).filter((n) => n.state === 'pending').map((n) => n.lastError)).toEqual([
      expect.stringContaining('rate limited'),
      expect.stringContaining('rate limited'),
    ]);

    await send(reading('fall', {}, ago(500), FALLS));
    await bed.ctx.alerting.deliver();
    expect(hooks.map((h) => (h.body.alert as { condition: string }).condition)).toEqual(['bp_high', 'fall']);

    bed.advance(61_000);
    await bed.ctx.alerting.deliver();
    expect(hooks.map((h) => (h.body.alert as { condition: string }).condition)).toEqual([
      'bp_high',
      'fall',
      'bp_high',
    ]);
    expect((await notes()).every((n) => n.state === 'sent')).toBe(true);
  });

  it('tells family about a fall in limited words, honours quiet hours and consent, and gives clinical detail only with consent', async () => {
    const hour = bed.clock.now.getUTCHours();
    const hh = (h: number) => `${String((h + 24) % 24).padStart(2, '0')}:00`;
    const quiet = { start: hh(hour - 1), end: hh(hour + 2) };
    const { contacts } = bed.ctx.alerting;
    const at = new Date().toISOString();
    await contacts.create(
      P1,
      contact({ name: 'Awake', email: 'awake@example.org', phone: '+447700900001' }),
      'nurse',
      at,
    );
    await contacts.create(
      P1,
      contact({ name: 'Asleep', email: 'asleep@example.org', quietHours: quiet }),
      'nurse',
      at,
    );
    await contacts.create(
      P1,
      contact({
        name: 'Wake me',
        email: 'wakeme@example.org',
        quietHours: quiet,
        consent: { notify: true, clinicalDetail: true, fallsDuringQuietHours: true },
      }),
      'nurse',
      at,
    );
    await contacts.create(
      P1,
      contact({
        name: 'No consent',
        email: 'no@example.org',
        consent: { notify: false, clinicalDetail: false, fallsDuringQuietHours: false },
      }),
      'nurse',
      at,
    );

    await send(reading('fall', { confidence: { value: 95, unit: '%' } }, ago(1000), FALLS));
    await bed.ctx.alerting.deliver();
    const family = smtp.mailbox.filter((m) => m.to[0] !== 'ward@example.org');
    expect(family.map((m) => m.to[0]).sort()).toEqual(['awake@example.org', 'wakeme@example.org']);
    for (const m of family) expect(m.text).toContain('A fall was detected; staff are responding.');
    expect(family.find((m) => m.to[0] === 'awake@example.org')!.text).not.toContain('confidence');
    // Clinical-detail consent: the sensor's detail as well.
    expect(family.find((m) => m.to[0] === 'wakeme@example.org')!.text).toContain('sensor confidence 95 %');
    const sms = hooks.find((h) => h.body.to === '+447700900001');
    expect(sms?.body.text).toContain('A fall was detected; staff are responding.');
    const held = (await notes()).find((n) => n.recipient === 'asleep@example.org')!;
    expect(held).toMatchObject({ state: 'pending', lastError: 'held until the contact’s quiet hours end' });
    expect(new Date(held.nextAt).getUTCHours()).toBe((hour + 2) % 24);
    expect((await notes()).some((n) => n.recipient === 'no@example.org')).toBe(false);

    // A critical NEWS2: only the contact with clinical-detail consent hears of it, with the detail.
    bed.advance(120_000);
    await send(bp(85, 50, 135, ago(1000)));
    await bed.ctx.alerting.deliver();
    expect(smtp.mailbox.filter((m) => m.text.includes('NEWS2')).map((m) => m.to[0])).toEqual([
      'ward@example.org',
    ]);
    // It is not a fall, so it waits for the end of that contact's quiet hours; nobody else is told.
    const news2 = await bed.ctx.sql.all<{ recipient: string; state: string; body: string }>(
      `SELECT recipient, state, body FROM notifications WHERE audience = 'family' AND body LIKE '%NEWS2%'`,
    );
    expect(news2.map((n) => [n.recipient, n.state])).toEqual([['wakeme@example.org', 'pending']]);
    expect(news2[0]!.body).toContain('systolic blood pressure 85');
  });
});
