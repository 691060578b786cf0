import { describe, expect, it, vi } from 'vitest';
import { configFromEnv } from '../config.js';
import type { SqlDatabase } from '../db/engines/engine.js';
import { describeEngines } from '../testing-sql.js';
import { pino } from 'pino';
import { createAuditLog } from './audit-log.js';
import { applyAuditRetention, scheduleAuditRetention } from './retention.js';

const DAY = 86_400_000;
const daysAgo = (days: number, now = Date.now()) => new Date(now - days * DAY);

function auditOnly(sql: SqlDatabase) {
  const audit = createAuditLog(sql);
  const record = (action: string, at: Date) =>
    audit.record(null, { action, organisationId: 'org-default' }, at);
  const actions = async () =>
    (await sql.all<{ action: string }>(`SELECT action FROM audit_events ORDER BY id`)).map((r) => r.action);
  return { sql, audit, record, actions };
}

describeEngines('the audit table', (open) => {
  it('refuses, in the database itself, any update and any delete of an event younger than 30 days', async () => {
    const { sql, record, actions } = auditOnly(await open());
    await record('patient.view', new Date());
    await record('patient.admit', daysAgo(29));
    await expect(sql.run(`UPDATE audit_events SET actor = 'someone-else'`)).rejects.toThrow(/append-only/);
    await expect(sql.run(`DELETE FROM audit_events`)).rejects.toThrow(/at least 30 days/);
    expect(await actions()).toEqual(['patient.view', 'patient.admit']);
    expect(await sql.get(`SELECT count(*) AS n FROM audit_events WHERE actor = 'system'`)).toEqual({ n: 2 });
  });

  it('retention deletes only the events older than the retention, in batches', async () => {
    const { sql, audit, record, actions } = auditOnly(await open());
    const now = Date.now();
    await sql.transaction(async () => {
      for (let i = 0; i < 2500; i++) await record('old.event', daysAgo(400, now));
    });
    await record('kept.by-a-day', daysAgo(364, now));
    await record('recent.event', daysAgo(1, now));

    const removed = await applyAuditRetention(audit, 365, { now: new Date(now), batchSize: 1000 });

    expect(removed).toBe(2500);
    expect(await actions()).toEqual(['kept.by-a-day', 'recent.event']);
  });

  it('never deletes events younger than 30 days, whatever the setting', async () => {
    const { audit, record, actions } = auditOnly(await open());
    const now = Date.now();
    await record('month.old', daysAgo(31, now));
    await record('week.old', daysAgo(7, now));

    expect(await applyAuditRetention(audit, 1, { now: new Date(now) })).toBe(1);
    expect(await actions()).toEqual(['week.old']);
  });

  it('the server applies retention as it starts, and daily after', async () => {
    const { audit, record, actions } = auditOnly(await open());
    await record('year.old', daysAgo(365));
    await record('today', new Date());

    const stop = scheduleAuditRetention(audit, 180, pino({ level: 'silent' }));
    try {
      await vi.waitFor(async () => expect(await actions()).toEqual(['today']), { timeout: 10_000 });
    } finally {
      stop();
    }
  });

  it('searches one organisation newest first, a page at a time, and pages through every match', async () => {
    const { audit, sql } = auditOnly(await open());
    await sql.run(`INSERT INTO organisations (id, name, created_at) VALUES ('org-b', 'Other', ?)`, [
      new Date().toISOString(),
    ]);
    await sql.transaction(async () => {
      for (let i = 0; i < 5; i++)
        await audit.record(null, { action: 'patient.view', organisationId: 'org-default', detail: { i } });
      await audit.record(null, { action: 'patient.view', organisationId: 'org-b' });
      await audit.record(null, { action: 'server.start', organisationId: null });
    });
    const first = await audit.search('org-default', { limit: 2 });
    expect(first.map((e) => e.detail)).toEqual([{ i: 4 }, { i: 3 }]);
    expect(
      (await audit.search('org-default', { limit: 10, before: first[1]!.id })).map((e) => e.detail),
    ).toEqual([{ i: 2 }, { i: 1 }, { i: 0 }]);
    expect((await audit.search(null, { limit: 10 })).map((e) => e.action)).toEqual(['server.start']);
    const pages: number[] = [];
    for await (const page of audit.pages('org-default', { action: 'patient.view' }, 2))
      pages.push(page.length);
    expect(pages).toEqual([2, 2, 1]);
  });
});

describe('audit settings', () => {
  it('keeps audit events 8 years unless told otherwise, and refuses a setting under 30 days', () => {
    const env = { WARDLINE_MQTT_DISABLED: '1' };
    expect(configFromEnv(env).auditRetentionDays).toBe(2922);
    expect(configFromEnv({ ...env, WARDLINE_AUDIT_RETENTION_DAYS: '3650' }).auditRetentionDays).toBe(3650);
    expect(() => configFromEnv({ ...env, WARDLINE_AUDIT_RETENTION_DAYS: '7' })).toThrow(
      /WARDLINE_AUDIT_RETENTION_DAYS must be at least 30/,
    );
  });
});
