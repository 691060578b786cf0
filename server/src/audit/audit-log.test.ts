import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../config.js';
import { createContext } from '../context.js';
import { openDatabase } from '../db/database.js';
import { pino } from 'pino';
import { applyAuditRetention, scheduleAuditRetention } from './retention.js';

const DAY = 86_400_000;
const daysAgo = (days: number, now = Date.now()) => new Date(now - days * DAY);

function auditOnly() {
  const ctx = createContext(openDatabase(':memory:'));
  const record = (action: string, at: Date) =>
    ctx.audit.record(null, { action, organisationId: 'org-default' }, at);
  const actions = () =>
    (ctx.db.prepare(`SELECT action FROM audit_events ORDER BY id`).all() as { action: string }[]).map(
      (r) => r.action,
    );
  return { ctx, record, actions };
}

describe('the audit table', () => {
  it('refuses, in the database itself, any update and any delete of an event younger than 30 days', () => {
    const { ctx, record, actions } = auditOnly();
    record('patient.view', new Date());
    record('patient.admit', daysAgo(29));
    expect(() => ctx.db.prepare(`UPDATE audit_events SET actor = 'someone-else'`).run()).toThrow(
      /append-only/,
    );
    expect(() => ctx.db.prepare(`DELETE FROM audit_events`).run()).toThrow(/at least 30 days/);
    expect(actions()).toEqual(['patient.view', 'patient.admit']);
    expect(ctx.db.prepare(`SELECT count(*) AS n FROM audit_events WHERE actor = 'system'`).get()).toEqual({
      n: 2,
    });
  });

  it('retention deletes only the events older than the retention, in batches', async () => {
    const { ctx, record, actions } = auditOnly();
    const now = Date.now();
    for (let i = 0; i < 2500; i++) record('old.event', daysAgo(400, now));
    record('kept.by-a-day', daysAgo(364, now));
    record('recent.event', daysAgo(1, now));

    const removed = await applyAuditRetention(ctx.audit, 365, { now: new Date(now), batchSize: 1000 });

    expect(removed).toBe(2500);
    expect(actions()).toEqual(['kept.by-a-day', 'recent.event']);
  });

  it('never deletes events younger than 30 days, whatever the setting', async () => {
    const { ctx, record, actions } = auditOnly();
    const now = Date.now();
    record('month.old', daysAgo(31, now));
    record('week.old', daysAgo(7, now));

    expect(await applyAuditRetention(ctx.audit, 1, { now: new Date(now) })).toBe(1);
    expect(actions()).toEqual(['week.old']);
  });

  it('the server applies retention as it starts, and daily after', async () => {
    const { ctx, record, actions } = auditOnly();
    record('year.old', daysAgo(365));
    record('today', new Date());

    const stop = scheduleAuditRetention(ctx.audit, 180, pino({ level: 'silent' }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    stop();

    expect(actions()).toEqual(['today']);
  });

  it('keeps audit events 8 years unless told otherwise, and refuses a setting under 30 days', () => {
    const env = { WARDLINE_MQTT_DISABLED: '1' };
    expect(configFromEnv(env).auditRetentionDays).toBe(2922);
    expect(configFromEnv({ ...env, WARDLINE_AUDIT_RETENTION_DAYS: '3650' }).auditRetentionDays).toBe(3650);
    expect(() => configFromEnv({ ...env, WARDLINE_AUDIT_RETENTION_DAYS: '7' })).toThrow(
      /WARDLINE_AUDIT_RETENTION_DAYS must be at least 30/,
    );
  });
});
