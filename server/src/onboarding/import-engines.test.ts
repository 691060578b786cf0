/**
 * The import's checks and writes on both engines (SQLite and PostgreSQL): the same file finds the
 * same places and stores the same records, or nothing.
 */
import type { Site } from '@wardline/protocol';
import type { FastifyRequest } from 'fastify';
import { afterEach, expect, it } from 'vitest';
import { createAuditLog } from '../audit/audit-log.js';
import { createDeviceRepository } from '../db/device-repository.js';
import type { SqlDatabase } from '../db/engines/engine.js';
import { createPatientRepository } from '../db/patient-repository.js';
import { createPlaceRepository } from '../db/place-repository.js';
import { createWardRepository } from '../db/ward-repository.js';
import { describeEngines } from '../testing-sql.js';
import { importCsv } from './import.js';
import { IMPORT_COLUMNS } from './template.js';

const AT = '2026-11-29T08:00:00.000Z';
const admin = {
  user: { username: 'admin', role: 'admin', organisationId: 'org-default', wardIds: null },
  ip: '127.0.0.1',
} as unknown as FastifyRequest;

/** A row of the import: site, ward, bed, then the resident's and the device's cells. */
const row = (cells: Partial<Record<(typeof IMPORT_COLUMNS)[number], string>>) =>
  IMPORT_COLUMNS.map((column) => cells[column] ?? '').join(',');
const file = (...rows: string[]) => [IMPORT_COLUMNS.join(','), ...rows].join('\n');

describeEngines('importing a care home', (open) => {
  const opened: SqlDatabase[] = [];
  afterEach(async () => {
    for (const sql of opened.splice(0)) await sql.close();
  });

  /** A home with a ward whose Room 1 is occupied and Room 2 closed, and one free room. */
  async function home() {
    const sql = await open();
    opened.push(sql);
    const places = createPlaceRepository(sql);
    const wards = createWardRepository(sql);
    const site = (await places.createSite('org-default', {
      name: 'Rose',
      kind: 'care_home',
      code: 'rose',
    })) as Site;
    const ward = await places.createWard(site, { name: 'Rose Wing', beds: 3 });
    const [room1, room2] = await places.bedList(ward.id);
    await wards.admit({ id: 'p-old', displayName: 'Already Here', bedId: room1!.id, at: AT, by: 'nurse' });
    await createPatientRepository(sql).updateDetails('p-old', { nhsNumber: '9434765919' });
    await places.closeBed(room2!.id, AT);
    const ctx = { sql, places, audit: createAuditLog(sql), devices: createDeviceRepository(sql) };
    const run = (csv: string, dryRun = false) =>
      importCsv(ctx, csv, { organisationId: 'org-default', request: admin, dryRun, now: new Date(AT) });
    const count = async (table: string) =>
      (await sql.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))!.n;
    return { sql, places, wards, ward, run, count };
  }

  it('finds wards and beds in any case, adds new beds after the last, and admits residents with their devices', async () => {
    const { sql, places, wards, ward, run, count } = await home();
    const outcome = await run(
      file(
        row({
          site_code: 'rose',
          ward_name: 'ROSE WING',
          bed_label: 'room 3',
          resident_name: 'Ann Example',
          nhs_number: '401 023 2137',
          date_of_birth: '3/2/1941',
          next_of_kin_name: 'Cat Example',
          next_of_kin_relationship: 'Daughter',
          device_id: 'cc:b1:00:00:00:01',
          device_model: 'bp-cuff',
        }),
        row({ site_code: 'rose', ward_name: 'Rose Wing', bed_label: 'Room 4' }),
        row({ site_code: 'rose', ward_name: 'Ivy Wing', bed_label: 'Room 1', resident_name: 'Bob Example' }),
      ),
    );
    expect(outcome.result).toEqual({
      imported: true,
      rows: 3,
      created: { wards: 1, beds: 2, patients: 2, devices: 1 },
      errors: [],
    });
    const beds = await places.bedList(ward.id);
    expect(beds.map((b) => [b.label, b.sortOrder])).toEqual([
      ['Room 1', 1],
      ['Room 2', 2],
      ['Room 3', 3],
      ['Room 4', 4],
    ]);
    const ann = beds[2]!.patientId!;
    expect(outcome.admittedBeds).toContain(beds[2]!.id);
    expect(await createPatientRepository(sql).record(ann)).toMatchObject({
      displayName: 'Ann Example',
      nhsNumber: '4010232137',
      dateOfBirth: '1941-02-03',
      nextOfKin: { name: 'Cat Example', relationship: 'Daughter' },
      admissions: [{ wardId: ward.id, admittedBy: 'admin', admittedAt: AT }],
    });
    expect(await wards.listWards({ organisationId: 'org-default' })).toEqual([
      expect.objectContaining({ name: 'Ivy Wing', bedCount: 1 }),
      expect.objectContaining({ name: 'Rose Wing', bedCount: 3 }),
    ]);
    expect(await count('assignments')).toBe(1);
    expect(
      await sql.all(`SELECT action FROM audit_events WHERE action LIKE ? ORDER BY action`, ['%.%']),
    ).toEqual([{ action: 'import.apply' }, { action: 'patient.admit' }, { action: 'patient.admit' }]);
  });

  it('stores nothing when a row would take an occupied or closed bed or a known NHS number', async () => {
    const { run, count } = await home();
    const before = await Promise.all(['wards', 'beds', 'patients', 'devices', 'audit_events'].map(count));
    const outcome = await run(
      file(
        row({ site_code: 'rose', ward_name: 'Rose Wing', bed_label: 'Room 1', resident_name: 'New Person' }),
        row({ site_code: 'rose', ward_name: 'Rose Wing', bed_label: 'Room 2' }),
        row({
          site_code: 'rose',
          ward_name: 'Rose Wing',
          bed_label: 'Room 3',
          resident_name: 'Twin',
          nhs_number: '9434765919',
        }),
        row({ site_code: 'elsewhere', ward_name: 'X', bed_label: 'Y' }),
        row({ site_code: 'rose', ward_name: 'Rose Wing', bed_label: 'Room 9', device_id: 'zz' }),
      ),
    );
    expect(outcome.result.imported).toBe(false);
    expect(outcome.result.errors.map((e) => [e.row, e.column])).toEqual([
      [2, 'bed_label'],
      [3, 'bed_label'],
      [4, 'nhs_number'],
      [5, 'site_code'],
      [6, 'device_model'],
    ]);
    expect(await Promise.all(['wards', 'beds', 'patients', 'devices', 'audit_events'].map(count))).toEqual(
      before,
    );
  });
});
