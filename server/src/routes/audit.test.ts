import type { AuditEvent } from '@wardline/protocol';
import { parse } from 'csv-parse/sync';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { testContext } from '../testing.js';

const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY);

describe('the audit trail: search and CSV export', () => {
  let ctx: ServerContext;
  let app: FastifyInstance;
  const tokens: Record<string, string> = {};

  beforeEach(async () => {
    ctx = await testContext();
    await ctx.sql.run(`INSERT INTO organisations (id, name, created_at) VALUES ('org-b', 'Other Trust', ?)`, [
      new Date().toISOString(),
    ]);
    await ctx.users.upsert({
      username: 'admin-b',
      passwordHash: null,
      role: 'admin',
      displayName: 'B',
      organisationId: 'org-b',
    });
    await ctx.users.upsert({ username: 'op', passwordHash: null, role: 'operator', displayName: 'Operator' });
    for (const username of ['admin', 'nurse', 'family', 'admin-b', 'op'])
      tokens[username] = await ctx.users.createSession(username);
    app = await buildApp({ context: ctx });
  });
  afterEach(async () => {
    await app.close();
  });

  /** What a route of that user would record: the audit log reads the user and address off the request. */
  const by = async (username: string, ip = '192.0.2.10') =>
    ({ user: await ctx.users.userForToken(tokens[username]!), ip }) as unknown as FastifyRequest;
  const get = (username: string, url: string) =>
    app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tokens[username]}` } });
  const search = async (username: string, query: string) => {
    const res = await get(username, `/api/audit?${query}`);
    expect(res.statusCode).toBe(200);
    return res.json() as AuditEvent[];
  };

  it("finds an organisation's events by patient, user and date, newest first and a page at a time", async () => {
    await ctx.audit.record(
      await by('nurse'),
      { action: 'patient.view', patientId: 'ward-a-p001' },
      daysAgo(3),
    );
    await ctx.audit.record(
      await by('admin'),
      { action: 'patient.admit', patientId: 'ward-a-p002' },
      daysAgo(2),
    );
    await ctx.audit.record(
      await by('nurse'),
      { action: 'patient.view', patientId: 'ward-a-p002' },
      daysAgo(1),
    );
    await ctx.audit.record(await by('admin-b'), { action: 'patient.view', patientId: 'ward-a-p002' });

    const ofPatient = await search('admin', 'patientId=ward-a-p002');
    expect(ofPatient.map((e) => [e.action, e.actor])).toEqual([
      ['patient.view', 'nurse'],
      ['patient.admit', 'admin'],
    ]);
    expect(ofPatient[0]).toMatchObject({
      organisationId: 'org-default',
      actorRole: 'nurse',
      address: '192.0.2.10',
    });

    expect((await search('admin', 'actor=nurse&action=patient.view')).map((e) => e.patientId)).toEqual([
      'ward-a-p002',
      'ward-a-p001',
    ]);
    const window = `from=${daysAgo(2.5).toISOString()}&to=${daysAgo(1.5).toISOString()}`;
    expect((await search('admin', window)).map((e) => e.action)).toEqual(['patient.admit']);

    const [first] = await search('admin', 'actor=nurse&limit=1');
    const [second, ...rest] = await search('admin', `actor=nurse&limit=1&before=${first!.id}`);
    expect([first!.patientId, second!.patientId, rest]).toEqual(['ward-a-p002', 'ward-a-p001', []]);

    // The other organisation's admin sees only what happened there: its own viewing, and its searching.
    expect((await search('admin-b', 'patientId=ward-a-p002')).map((e) => e.actor)).toEqual(['admin-b']);

    // Searching the audit is itself audited, with the filters used and how many events were shown.
    const searches = await search('admin', 'action=audit.search&limit=100');
    expect(searches.at(-1)).toMatchObject({
      actor: 'admin',
      patientId: 'ward-a-p002',
      detail: { patientId: 'ward-a-p002', results: 2 },
    });
  });

  it('is for admins and operators only', async () => {
    expect((await get('nurse', '/api/audit')).statusCode).toBe(403);
    expect((await get('family', '/api/audit.csv')).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/api/audit' })).statusCode).toBe(401);
  });

  it("shows operators what operators did and no patient's events; admins see operators' actions on them", async () => {
    await ctx.audit.record(await by('op'), {
      action: 'organisation.create',
      targetType: 'organisation',
      targetId: 'org-b',
      organisationId: 'org-b',
    });
    await ctx.audit.record(null, { action: 'server.start', organisationId: null });
    await ctx.audit.record(await by('admin'), { action: 'patient.view', patientId: 'ward-a-p001' });
    await ctx.audit.record(null, { action: 'patient.view', patientId: 'ward-a-p001', organisationId: null });

    expect((await search('op', '')).map((e) => e.action)).toEqual(['server.start', 'organisation.create']);
    expect((await search('admin-b', 'action=organisation.create')).map((e) => e.actor)).toEqual(['op']);
    expect(await search('admin', 'action=organisation.create')).toEqual([]);
  });

  it('exports as CSV (RFC 4180) with spreadsheet formulas neutralised, and records the export', async () => {
    await ctx.users.upsert({ username: '-2+3', passwordHash: null, role: 'admin', displayName: 'Odd name' });
    tokens['-2+3'] = await ctx.users.createSession('-2+3');
    await ctx.audit.record(await by('-2+3', '\t127.0.0.1'), {
      action: 'device.register',
      targetType: '@SUM(A1)',
      targetId: '=HYPERLINK("http://attacker.example","click")',
      detail: { note: '+1' },
    });
    await ctx.audit.record(await by('admin'), {
      action: 'device.register',
      targetType: 'device',
      targetId: 'line one\r\nline two, "quoted"',
    });
    await ctx.audit.record(await by('admin-b'), {
      action: 'device.register',
      targetId: 'of-the-other-organisation',
    });

    const res = await get('admin', '/api/audit.csv?action=device.register');

    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(
      /^attachment; filename="wardline-audit-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    expect(res.body.split('\r\n')[0]).toBe(
      'id,at,actor,actor_role,action,patient_id,target_type,target_id,address,detail',
    );
    expect(res.body).toContain('"line one\r\nline two, ""quoted"""');
    const rows = parse(res.body, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.target_id)).toEqual([
      'line one\r\nline two, "quoted"',
      `'=HYPERLINK("http://attacker.example","click")`,
    ]);
    expect(rows[1]).toMatchObject({
      actor: "'-2+3",
      target_type: "'@SUM(A1)",
      address: "'\t127.0.0.1",
      detail: '{"note":"+1"}',
    });

    expect(await search('admin', 'action=audit.export')).toMatchObject([
      { actor: 'admin', detail: { action: 'device.register' } },
    ]);
  });

  it('exports every event of a long range, newest first, a page at a time', async () => {
    await ctx.sql.transaction(async () => {
      for (let i = 0; i < 2500; i++)
        await ctx.audit.record(await by('nurse'), {
          action: 'patient.view',
          patientId: `ward-a-p00${(i % 2) + 1}`,
          detail: { i },
        });
    });

    const res = await get('admin', '/api/audit.csv?actor=nurse');

    const rows = parse(res.body, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(2500);
    expect(rows.map((r) => JSON.parse(r.detail!).i)).toEqual([...Array(2500).keys()].reverse());
  });
});
