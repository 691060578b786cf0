import type { FastifyInstance } from 'fastify';
import type { Bed, PatientListItem, PatientRecord, Site, Ward } from '@wardline/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { syntheticNhsNumber } from '../demo/seed.js';
import { TEST_PASSWORD, testContext } from '../testing.js';

describe('sites, wards, beds and patients, managed live', () => {
  let ctx: ServerContext;
  let app: FastifyInstance;
  const tokens: Record<string, string> = {};

  beforeEach(async () => {
    ctx = await testContext();
    app = await buildApp({ context: ctx });
    for (const username of ['admin', 'nurse', 'charge', 'family']) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username, password: TEST_PASSWORD },
      });
      tokens[username] = (res.json() as { token: string }).token;
    }
  });
  afterEach(() => app.close());

  const call = (user: string, method: string, url: string, payload?: unknown) =>
    app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${tokens[user]}` },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
  const actions = async () =>
    (await ctx.sql.all<{ action: string }>(`SELECT action FROM audit_events ORDER BY id`)).map(
      (r) => r.action,
    );

  it('lets an admin create a site, a ward with beds and more beds, rename and close them', async () => {
    const site = (
      await call('admin', 'POST', '/api/sites', { name: 'Oak House', kind: 'care_home', code: 'oak' })
    ).json() as Site;
    expect(site).toMatchObject({ organisationId: 'org-default', code: 'oak', closedAt: null });
    expect(site.id).toMatch(/^site-[0-9a-f-]{36}$/);
    // Codes are MQTT topic segments: unique on the server.
    const clash = await call('admin', 'POST', '/api/sites', {
      name: 'Other',
      kind: 'care_home',
      code: 'oak',
    });
    expect(clash.statusCode).toBe(409);
    expect(
      (await call('nurse', 'POST', '/api/sites', { name: 'N', kind: 'care_home', code: 'n' })).statusCode,
    ).toBe(403);

    const created = await call('admin', 'POST', '/api/wards', { siteId: site.id, name: 'Willow', beds: 3 });
    expect(created.statusCode).toBe(201);
    const ward = created.json() as Ward;
    expect(ward).toMatchObject({ name: 'Willow', siteCode: 'oak', kind: 'care_home', bedCount: 3 });
    expect(ward.id).toMatch(/^ward-[0-9a-f-]{36}$/);
    const more = (
      await call('admin', 'POST', `/api/wards/${ward.id}/beds`, { labels: ['Annexe 1'] })
    ).json() as Bed[];
    expect(more.map((b) => [b.label, b.sortOrder])).toEqual([['Annexe 1', 4]]);
    const wards = (await call('nurse', 'GET', '/api/wards')).json() as Ward[];
    expect(wards.find((w) => w.id === ward.id)).toMatchObject({ bedCount: 4 });

    expect(
      (await call('admin', 'PATCH', `/api/wards/${ward.id}`, { name: 'Willow Wing' })).json(),
    ).toMatchObject({
      name: 'Willow Wing',
    });
    expect(
      (await call('admin', 'PATCH', `/api/beds/${more[0]!.id}`, { label: 'Room 4' })).json(),
    ).toMatchObject({
      label: 'Room 4',
    });
    expect(
      (await call('admin', 'PATCH', `/api/sites/${site.id}`, { name: 'Oak Lodge' })).json(),
    ).toMatchObject({
      name: 'Oak Lodge',
    });

    // A closed bed leaves the ward's screen but stays in the bed list; it cannot be admitted to.
    expect((await call('admin', 'POST', `/api/beds/${more[0]!.id}/close`)).statusCode).toBe(200);
    const beds = (await call('nurse', 'GET', `/api/wards/${ward.id}/beds`)).json() as { bedId: string }[];
    expect(beds.map((b) => b.bedId)).not.toContain(more[0]!.id);
    const list = (await call('admin', 'GET', `/api/wards/${ward.id}/bed-list`)).json() as Bed[];
    expect(list.find((b) => b.id === more[0]!.id)?.closedAt).not.toBeNull();
    const refused = await call('charge', 'POST', '/api/patients', {
      bedId: more[0]!.id,
      displayName: 'Ann Example',
    });
    expect(refused.statusCode).toBe(409);

    // A ward with a resident cannot close; emptied, it can, and leaves the ward list.
    const firstBed = list[0]!.id;
    const admitted = (
      await call('charge', 'POST', '/api/patients', { bedId: firstBed, displayName: 'Ann Example' })
    ).json() as PatientRecord;
    expect((await call('admin', 'POST', `/api/wards/${ward.id}/close`)).statusCode).toBe(409);
    expect((await call('admin', 'POST', `/api/beds/${firstBed}/close`)).statusCode).toBe(409);
    expect((await call('admin', 'POST', `/api/sites/${site.id}/close`)).statusCode).toBe(409);
    await call('charge', 'POST', `/api/patients/${admitted.id}/discharge`);
    expect((await call('admin', 'POST', `/api/wards/${ward.id}/close`)).statusCode).toBe(200);
    expect(((await call('nurse', 'GET', '/api/wards')).json() as Ward[]).map((w) => w.id)).not.toContain(
      ward.id,
    );
    expect((await call('admin', 'POST', `/api/sites/${site.id}/close`)).json()).toMatchObject({
      closedAt: expect.any(String),
    });
    expect(((await call('admin', 'GET', '/api/sites')).json() as Site[]).map((s) => s.id)).not.toContain(
      site.id,
    );
    // The patient's history still names the closed ward.
    const record = (await call('nurse', 'GET', `/api/patients/${admitted.id}`)).json() as PatientRecord;
    expect(record.admissions).toMatchObject([
      { wardId: ward.id, wardName: 'Willow Wing', dischargedBy: 'charge' },
    ]);
    expect(await actions()).toEqual(
      expect.arrayContaining([
        'site.create',
        'ward.create',
        'bed.create',
        'bed.close',
        'ward.close',
        'site.close',
      ]),
    );
  });

  it('admits with an NHS number (spaces allowed), validates it, keeps it unique, and finds the patient by it', async () => {
    await ctx.sql.run(`UPDATE patients SET bed_id = NULL, discharged_at = ? WHERE id = 'ward-a-p002'`, [
      new Date().toISOString(),
    ]);
    const nhs = syntheticNhsNumber(4242);
    const spaced = `${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`;
    const bad = `${nhs.slice(0, 9)}${(Number(nhs[9]) + 1) % 10}`;
    const admit = (payload: object) =>
      call('charge', 'POST', '/api/patients', { bedId: 'ward-a-bed-2', ...payload });

    expect((await admit({ displayName: 'Bea Example', nhsNumber: bad })).json()).toMatchObject({
      code: 'WL_INVALID_NHS_NUMBER',
    });
    const future = new Date(Date.now() + 86_400_000 * 2).toISOString().slice(0, 10);
    expect((await admit({ displayName: 'Bea Example', dateOfBirth: future })).statusCode).toBe(400);
    expect(
      (await call('nurse', 'POST', '/api/patients', { bedId: 'ward-a-bed-2', displayName: 'X' })).statusCode,
    ).toBe(403);

    const res = await admit({
      displayName: 'Bea Example',
      preferredName: 'Bea',
      nhsNumber: spaced,
      dateOfBirth: '1941-03-02',
      gpPracticeOds: 'A12345',
      nextOfKin: { name: 'Cal Example', relationship: 'son', phone: '+447700900123' },
    });
    expect(res.statusCode).toBe(201);
    const patient = res.json() as PatientRecord;
    expect(patient).toMatchObject({
      nhsNumber: nhs,
      dateOfBirth: '1941-03-02',
      wardId: 'ward-a',
      bedId: 'ward-a-bed-2',
      bedLabel: 'Room 2',
      admissions: [{ bedId: 'ward-a-bed-2', admittedBy: 'charge', dischargedAt: null }],
    });

    // The same number again, on an edit of another patient: refused without naming the holder.
    const dup = await call('charge', 'PATCH', '/api/patients/ward-a-p001', { nhsNumber: nhs });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ code: 'WL_DUPLICATE_NHS_NUMBER' });
    expect(dup.body).not.toContain(patient.id);

    const byNumber = (
      await call('nurse', 'GET', `/api/patients?q=${encodeURIComponent(spaced)}`)
    ).json() as PatientListItem[];
    expect(byNumber.map((p) => p.id)).toEqual([patient.id]);
    const byName = (await call('nurse', 'GET', '/api/patients?q=bea')).json() as PatientListItem[];
    expect(byName.map((p) => p.id)).toEqual([patient.id]);
    const inBed = (
      await call('nurse', 'GET', '/api/patients?includeDischarged=false')
    ).json() as PatientListItem[];
    expect(inBed.map((p) => p.id).sort()).toEqual(['ward-a-p001', patient.id].sort());

    // Discharge and re-admit: two admissions, newest first.
    expect((await call('charge', 'POST', `/api/patients/${patient.id}/discharge`)).json()).toMatchObject({
      bedId: null,
    });
    const again = await call('charge', 'POST', `/api/patients/${patient.id}/admit`, {
      bedId: 'ward-a-bed-2',
    });
    expect(again.statusCode).toBe(200);
    expect((again.json() as PatientRecord).admissions.map((a) => a.dischargedAt === null)).toEqual([
      true,
      false,
    ]);
    expect(
      (await call('charge', 'POST', `/api/patients/${patient.id}/admit`, { bedId: 'ward-a-bed-2' }))
        .statusCode,
    ).toBe(409);

    const edited = await call('charge', 'PATCH', `/api/patients/${patient.id}`, { preferredName: null });
    expect(edited.json()).toMatchObject({ preferredName: null, nhsNumber: nhs });

    expect(await actions()).toEqual(
      expect.arrayContaining(['patient.admit', 'patient.discharge', 'patient.edit']),
    );
    // The audit names ids and field names, never the name or the number.
    const details = (
      await ctx.sql.all<{ detail_json: string | null }>(`SELECT detail_json FROM audit_events`)
    )
      .map((r) => r.detail_json ?? '')
      .join(' ');
    expect(details).not.toContain(nhs);
    expect(details).not.toContain('Bea');
  });

  it('audits every view of a record, and a family member sees their relative without identifiers', async () => {
    await ctx.patients.updateDetails('ward-a-p001', { dateOfBirth: '1940-01-01' });
    expect((await call('nurse', 'GET', '/api/patients/ward-a-p001')).json()).toMatchObject({
      dateOfBirth: '1940-01-01',
      admissions: [{ wardId: 'ward-a' }],
    });
    await call('nurse', 'GET', '/api/patients/ward-a-p001/observations');
    await call('nurse', 'GET', '/api/patients/ward-a-p001/devices');
    const own = (await call('family', 'GET', '/api/patients/ward-a-p001')).json() as Record<string, unknown>;
    expect(own).toMatchObject({ id: 'ward-a-p001', bedLabel: 'Room 1' });
    expect(own).not.toHaveProperty('nhsNumber');
    expect(own).not.toHaveProperty('dateOfBirth');
    const rows = await ctx.sql.all<{ actor: string; action: string; patientId: string }>(
      `SELECT actor, action, patient_id AS "patientId" FROM audit_events ORDER BY id`,
    );
    expect(rows).toEqual([
      { actor: 'nurse', action: 'patient.view', patientId: 'ward-a-p001' },
      { actor: 'nurse', action: 'patient.observations.view', patientId: 'ward-a-p001' },
      { actor: 'nurse', action: 'patient.devices.view', patientId: 'ward-a-p001' },
      { actor: 'family', action: 'patient.view', patientId: 'ward-a-p001' },
    ]);
  });

  it('limits a ward-limited nurse to their wards', async () => {
    const site = (await ctx.places.siteByCode('site-a'))!;
    const other = await ctx.places.createWard(site, { name: 'Other', beds: 1 });
    await ctx.sql.run(`INSERT INTO user_wards (username, ward_id) VALUES ('nurse', ?)`, [other.id]);
    const token = (
      await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: 'nurse', password: TEST_PASSWORD },
      })
    ).json() as { token: string };
    tokens.nurse = token.token;
    expect(((await call('nurse', 'GET', '/api/wards')).json() as Ward[]).map((w) => w.id)).toEqual([
      other.id,
    ]);
    expect((await call('nurse', 'GET', '/api/wards/ward-a/beds')).statusCode).toBe(404);
    expect((await call('nurse', 'GET', '/api/patients/ward-a-p001')).statusCode).toBe(404);
    expect((await call('nurse', 'GET', '/api/patients')).json()).toEqual([]);
  });
});
