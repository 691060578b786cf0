import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Alert } from '@wardline/protocol';
import { buildApp } from '../../../app.js';
import { OBS_TOPIC, TEST_PASSWORD } from '../../../testing.js';
import { alertTestbed, obsBatch, reading } from '../../testing.js';

const MIN = 60_000;
const P1 = 'ward-a-p001';
const FALLS = 'aa:00:00:00:01:01';
const LEVELS = ['ward team', 'nurse in charge', 'on-call clinician'].map((name, i) => ({
  name,
  emails: [`level${i + 1}@example.org`],
  webhooks: [],
}));

describe('falls incidents', () => {
  let bed: Awaited<ReturnType<typeof alertTestbed>>;
  let app: FastifyInstance;
  const at = (ms: number) => new Date(start + ms);
  let start = 0;
  const event = async (kind: 'fall' | 'help_request' | 'upright' | 'no_movement', ms: number) => {
    const values = kind === 'fall' ? { confidence: { value: 92, unit: '%' } } : {};
    return await bed.send(OBS_TOPIC, obsBatch(bed.clock.now, reading(kind, values, at(ms), FALLS)));
  };
  const moveTo = async (ms: number) => {
    bed.clock.now = at(ms);
    await bed.ctx.alerting.tick();
  };
  const incidents = async () =>
    (await bed.unresolved(P1)).filter((a) => ['fall', 'help_request', 'no_movement'].includes(a.condition));
  const only = async (): Promise<Alert> => {
    const list = await incidents();
    expect(list).toHaveLength(1);
    return list[0]!;
  };
  const emailsFor = async (alertId: number) =>
    (
      await bed.ctx.sql.all<{ recipient: string }>(
        `SELECT recipient FROM notifications WHERE alert_id = ? AND audience = 'staff' ORDER BY id`,
        [alertId],
      )
    ).map((r) => r.recipient);

  beforeEach(async () => {
    // Five hours ago: staff observations are checked against the wall clock, the engine runs on this one.
    const fiveHoursAgo = new Date(Date.now() - 300 * MIN).toISOString();
    bed = await alertTestbed({ config: { levels: LEVELS }, start: fiveHoursAgo });
    start = bed.clock.now.getTime();
    app = await buildApp({ context: bed.ctx });
  });
  afterEach(async () => {
    await app.close();
  });

  async function as(username: string, method: 'POST', url: string, payload: object) {
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username, password: TEST_PASSWORD },
    });
    const { token } = login.json() as { token: string };
    return app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, payload });
  }
  const acknowledge = (id: number) => as('nurse', 'POST', `/api/alerts/${id}/acknowledge`, {});
  const resolve = (id: number, note: string) => as('nurse', 'POST', `/api/alerts/${id}/resolve`, { note });
  const recordObservations = (ms: number) =>
    as('nurse', 'POST', `/api/patients/${P1}/manual-observations`, {
      measuredAt: at(ms).toISOString(),
      respirationRate: 16,
      consciousness: 'A',
      systolic: 128,
      diastolic: 80,
      pulse: 72,
    });

  it('makes a fall and the help press two minutes later one incident, told once and acknowledged once', async () => {
    await event('fall', 0);
    bed.clock.now = at(2 * MIN);
    await event('help_request', 2 * MIN);
    const incident = await only();
    expect(incident).toMatchObject({
      condition: 'fall',
      priority: 'critical',
      title: 'Fall detected, help button pressed',
      occurrences: 2,
    });
    expect(incident.message).toContain('Fall detected (sensor confidence 92 %).');
    expect(incident.message).toContain('Help button pressed 2 min after the fall.');
    expect(await emailsFor(incident.id)).toEqual(['level1@example.org']);
    expect((await acknowledge(incident.id)).statusCode).toBe(200);
    expect((await incidents()).map((a) => a.state)).toEqual(['acknowledged']);
  });

  it('joins a fall that follows a help press into the same incident', async () => {
    await event('help_request', 0);
    await event('fall', 30_000);
    expect(await only()).toMatchObject({
      condition: 'help_request',
      title: 'Fall detected, help button pressed',
    });
  });

  it('re-opens an acknowledged incident for a new fall well after its last event, and tells the team again', async () => {
    await event('fall', 0);
    const id = (await only()).id;
    await acknowledge(id);
    bed.clock.now = at(30 * MIN);
    await event('fall', 30 * MIN);
    expect(await only()).toMatchObject({ id, state: 'open', occurrences: 2 });
    expect((await only()).message).toContain('2 falls in this incident.');
    expect(await emailsFor(id)).toEqual(['level1@example.org', 'level1@example.org']);
  });

  it('escalates an unacknowledged fall as a long lie after 10 minutes, to every level', async () => {
    await event('fall', 0);
    await moveTo(9 * MIN);
    expect((await only()).title).toBe('Fall detected');
    await moveTo(10 * MIN);
    const incident = await only();
    expect(incident).toMatchObject({ title: 'Long lie suspected', state: 'open', level: 3 });
    expect(incident.detail).toMatchObject({ longLie: { reason: 'not_acknowledged' } });
    expect(incident.message).toContain('Nobody acknowledged it 10 min after the fall');
    // Level 2 was already told by the 5-minute escalation; the long lie tells every level.
    expect(await emailsFor(incident.id)).toEqual([
      'level1@example.org',
      'level2@example.org',
      'level1@example.org',
      'level2@example.org',
      'level3@example.org',
    ]);
    const types = (await bed.ctx.alerting.store.transitions(incident.id)).map((t) => [t.type, t.note]);
    expect(types).toContainEqual(['escalated', 'long lie: not acknowledged']);
  });

  it('calls an unanswered help press what it is', async () => {
    await event('help_request', 0);
    await moveTo(10 * MIN);
    expect(await only()).toMatchObject({ title: 'Help call not answered', level: 3 });
  });

  it('escalates at once when the sensor reports no movement, even after acknowledgement', async () => {
    await event('fall', 0);
    const id = (await only()).id;
    await acknowledge(id);
    bed.clock.now = at(5 * MIN);
    await event('no_movement', 5 * MIN);
    expect(await only()).toMatchObject({ id, title: 'Long lie suspected', state: 'open', level: 3 });
    expect((await only()).message).toContain('The sensor reports no movement 5 min after the fall.');
  });

  it('escalates an acknowledged fall with no sign of getting up after an hour, but not once they are upright', async () => {
    await event('fall', 0);
    const id = (await only()).id;
    await acknowledge(id);
    await moveTo(59 * MIN);
    expect(await only()).toMatchObject({ state: 'acknowledged', title: 'Fall detected' });
    await moveTo(60 * MIN);
    expect(await only()).toMatchObject({ state: 'open', title: 'Long lie suspected', level: 3 });
    expect((await only()).detail).toMatchObject({ longLie: { reason: 'no_recovery' } });
  });

  it('records the sensor seeing them upright, which stops the one-hour clock', async () => {
    await event('fall', 0);
    await acknowledge((await only()).id);
    bed.clock.now = at(8 * MIN);
    await event('upright', 8 * MIN);
    expect((await only()).message).toContain('Upright again 8 min after the fall (sensor)');
    expect((await only()).occurrences).toBe(1);
    await moveTo(90 * MIN);
    expect(await only()).toMatchObject({ state: 'acknowledged', title: 'Fall detected', level: 1 });
  });

  it('raises nothing for an upright event alone', async () => {
    await event('upright', 0);
    expect(await bed.unresolved(P1)).toEqual([]);
  });

  it('keeps a late help press measured before the resolution in the resolved incident; a late fall opens a new one', async () => {
    await event('fall', 0);
    const id = (await only()).id;
    bed.clock.now = at(5 * MIN);
    await resolve(id, 'Found on the floor, helped up, no injury');
    bed.clock.now = at(20 * MIN); // a gateway outage: both arrive late
    await event('help_request', 3 * MIN);
    expect(await incidents()).toEqual([]);
    expect((await bed.ctx.alerting.store.get(id))!.detail_json).toContain('"help_request"');
    await event('fall', 4 * MIN);
    expect(await only()).toMatchObject({ condition: 'fall', state: 'open' });
    expect((await only()).id).not.toBe(id);
  });

  it('prompts for post-fall observations once the fall is acknowledged, and clears each set when recorded', async () => {
    await event('fall', 0);
    const id = (await only()).id;
    await moveTo(MIN);
    expect((await bed.unresolved(P1)).map((a) => a.condition)).toEqual(['fall']); // the fall itself comes first
    await acknowledge(id);
    await moveTo(2 * MIN);
    const prompt = async () => (await bed.unresolved(P1)).find((a) => a.condition === 'post_fall_obs');
    expect(await prompt()).toMatchObject({
      priority: 'medium',
      title: 'Post-fall observations due (set 1 of 7)',
    });
    expect((await recordObservations(3 * MIN)).statusCode).toBe(201);
    expect(await prompt()).toBeUndefined();
    await resolve(id, 'Helped up, no injury seen');
    const cleared = await bed.ctx.alerting.store.list({
      state: 'resolved',
      patientId: P1,
      condition: 'post_fall_obs',
      limit: 5,
    });
    expect(cleared[0]).toMatchObject({
      condition: 'post_fall_obs',
      resolution_note: 'Post-fall observations recorded (set 1 of 7)',
    });
    await moveTo(29 * MIN);
    expect(await prompt()).toBeUndefined();
    await moveTo(30 * MIN);
    expect(await prompt()).toMatchObject({ title: 'Post-fall observations due (set 2 of 7)' });
    await moveTo(60 * MIN);
    expect(await prompt()).toMatchObject({ title: 'Post-fall observations due (set 3 of 7)' });
    expect((await prompt())!.message).toContain('1 earlier set was not recorded.');
    // Recorded a little before the 2-hour set: it counts for it (and for the missed ones).
    await moveTo(110 * MIN);
    expect((await recordObservations(110 * MIN)).statusCode).toBe(201);
    await moveTo(115 * MIN);
    expect(await prompt()).toBeUndefined();
    await moveTo(120 * MIN);
    expect(await prompt()).toBeUndefined();
    await moveTo(240 * MIN);
    expect(await prompt()).toMatchObject({ title: 'Post-fall observations due (set 5 of 7)' });
  });
});
