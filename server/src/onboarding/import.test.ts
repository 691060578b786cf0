import { nhsCheckDigitValid, type BedState, type ImportResult, type Site } from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { addBareOrganisation, testContext } from '../testing.js';
import { IMPORT_COLUMNS } from './template.js';

const HEADER = IMPORT_COLUMNS.join(',');

/** Valid NHS numbers outside the demo seed's (which count up from 999000001). */
function nhsNumbers(count: number): string[] {
  const numbers: string[] = [];
  for (let base = 600_000_000; numbers.length < count; base++)
    for (let check = 0; check <= 9; check++)
      if (nhsCheckDigitValid(`${base}${check}`)) {
        numbers.push(`${base}${check}`);
        break;
      }
  return numbers;
}

/**
 * A care home's list as a spreadsheet saves it: 48 residents over two new wings, each with a cuff,
 * the first two with a falls sensor on a row of its own; dates as UK spreadsheets write them.
 */
function careHomeFile(): string[] {
  const numbers = nhsNumbers(48);
  const rows = [HEADER];
  for (let i = 0; i < 48; i++) {
    const wing = i < 24 ? 'Rose Wing' : 'Ivy Wing';
    const room = `Room ${(i % 24) + 1}`;
    const hex = (i + 1).toString(16).padStart(2, '0');
    rows.push(
      [
        'site-a',
        wing,
        room,
        `"Resident ${i + 1}, Example"`,
        i % 3 === 0 ? 'Bobby' : '',
        i % 2 === 0
          ? `${numbers[i]!.slice(0, 3)} ${numbers[i]!.slice(3, 6)} ${numbers[i]!.slice(6)}`
          : numbers[i],
        `0${(i % 28) + 1}/0${(i % 9) + 1}/19${30 + (i % 60)}`.replace(/^0(\d\d)/, '$1'),
        i % 4 === 0 ? 'a81001' : '',
        i % 5 === 0 ? 'Kin Example' : '',
        i % 5 === 0 ? 'Daughter' : '',
        i % 5 === 0 ? '+44 7700 900123' : '',
        `cc:b1:00:00:00:${hex}`,
        'bp-cuff',
      ].join(','),
    );
    if (i < 2)
      rows.push(
        ['site-a', wing, room, '', '', '', '', '', '', '', '', `cc:fa:00:00:00:${hex}`, 'falls-sensor'].join(
          ',',
        ),
      );
  }
  return rows;
}

describe('importing a care home from CSV', () => {
  let ctx: ServerContext;
  let app: FastifyInstance;
  let admin: string;
  let theirSite: Site;

  beforeEach(async () => {
    ctx = await testContext();
    theirSite = await addBareOrganisation(ctx, 'b');
    admin = await ctx.users.createSession('admin');
    app = await buildApp({ context: ctx });
  });
  afterEach(async () => {
    await app.close();
  });

  const post = async (csv: string, query = '', token = admin) =>
    app.inject({
      method: 'POST',
      url: `/api/import${query}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      payload: csv,
    });
  const importFile = async (csv: string, query = '') => {
    const res = await post(csv, query);
    expect(res.statusCode).toBe(200);
    return res.json() as ImportResult;
  };
  const counts = async () =>
    Object.fromEntries(
      await Promise.all(
        ['wards', 'beds', 'patients', 'devices', 'assignments', 'admissions', 'audit_events'].map(
          async (table): Promise<[string, number]> => [
            table,
            (await ctx.sql.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))!.n,
          ],
        ),
      ),
    );
  const wardId = async (name: string) =>
    (await ctx.sql.get<{ id: string }>(`SELECT id FROM wards WHERE name = ?`, [name]))?.id;

  it('creates the wards, beds, residents and devices, and the residents appear on their ward', async () => {
    const file = '\uFEFF' + careHomeFile().join('\r\n') + '\r\n';

    const result = await importFile(file);

    expect(result).toEqual({
      imported: true,
      rows: 50,
      created: { wards: 2, beds: 48, patients: 48, devices: 50 },
      errors: [],
    });
    const roseWing = (await wardId('Rose Wing'))!;
    expect(roseWing).toMatch(/^ward-[0-9a-f-]{36}$/);
    const beds = await app.inject({
      method: 'GET',
      url: `/api/wards/${roseWing}/beds`,
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(beds.statusCode).toBe(200);
    const states = beds.json() as BedState[];
    expect(states).toHaveLength(24);
    expect(states[0]).toMatchObject({
      label: 'Room 1',
      patient: { displayName: 'Resident 1, Example' },
      devices: [
        { deviceId: 'cc:b1:00:00:00:01', model: 'bp-cuff' },
        { deviceId: 'cc:fa:00:00:00:01', model: 'falls-sensor' },
      ],
    });
    expect(states[0]!.bedId).toMatch(/^bed-[0-9a-f-]{36}$/);
    expect(states[0]!.patient!.id).toMatch(/^p-[0-9a-f-]{36}$/);

    const first = await ctx.sql.get(
      `SELECT nhs_number AS nhs, date_of_birth AS born, preferred_name AS preferred, gp_ods_code AS gp,
              next_of_kin_json AS kin, organisation_id AS org FROM patients WHERE display_name = 'Resident 1, Example'`,
    );
    expect(first).toEqual({
      nhs: nhsNumbers(1)[0],
      born: '1930-01-01',
      preferred: 'Bobby',
      gp: 'A81001',
      kin: JSON.stringify({ name: 'Kin Example', relationship: 'Daughter', phone: '+44 7700 900123' }),
      org: 'org-default',
    });
    const admissions = await ctx.sql.get(`SELECT count(*) AS n FROM admissions WHERE admitted_by = 'admin'`);
    expect(admissions).toEqual({ n: 48 });

    const audit = await ctx.audit.search('org-default', { limit: 1000 });
    expect(audit.filter((e) => e.action === 'patient.admit')).toHaveLength(48);
    expect(audit.find((e) => e.action === 'import.apply')).toMatchObject({
      actor: 'admin',
      detail: { rows: 50, wards: 2, beds: 48, patients: 48, devices: 50 },
    });
  });

  it('stores nothing when one row of 50 is wrong, and says which row and column', async () => {
    const rows = careHomeFile();
    // Line 37 of the file: one digit of the NHS number changed, so its check digit no longer fits.
    const cells = rows[36]!.split(',');
    cells[6] = cells[6]!.replace(/\d$/, (d) => String((Number(d) + 1) % 10));
    rows[36] = cells.join(',');
    const before = await counts();

    const result = await importFile(rows.join('\n'));

    expect(result.imported).toBe(false);
    expect(result.errors).toEqual([
      { row: 37, column: 'nhs_number', message: expect.stringMatching(/not a valid NHS number/) },
    ]);
    expect(await counts()).toEqual({ ...before, audit_events: before.audit_events! + 1 });
    expect((await ctx.audit.search('org-default', { limit: 10 }))[0]).toMatchObject({
      action: 'import.check',
      detail: { rows: 50, errors: 1, dryRun: false },
    });
  });

  it('refuses an NHS number twice in the file, or one a patient of the organisation already has', async () => {
    const seeded = (await ctx.sql.get<{ n: string }>(
      `SELECT nhs_number AS n FROM patients WHERE id = 'ward-a-p001'`,
    ))!.n;
    const [fresh] = nhsNumbers(1);
    const file = [
      HEADER,
      `site-a,New Wing,Room 1,Ann Example,,${fresh},,,,,,,`,
      `site-a,New Wing,Room 2,Bea Example,,${seeded},,,,,,,`,
      `site-a,New Wing,Room 3,Cat Example,,${fresh!.slice(0, 5)} ${fresh!.slice(5)},,,,,,,`,
    ].join('\n');

    const result = await importFile(file);

    expect(result.errors).toEqual([
      { row: 3, column: 'nhs_number', message: expect.stringMatching(/already has this NHS number/) },
      { row: 4, column: 'nhs_number', message: 'the same NHS number as row 2' },
    ]);
    expect(await wardId('New Wing')).toBeUndefined();
  });

  it("answers another organisation's site exactly as one that does not exist", async () => {
    const result = await importFile(
      [HEADER, `${theirSite.code},Ward,Room 1,Ann Example,,,,,,,,,`, 'nowhere,Ward,Room 1,,,,,,,,,,'].join(
        '\n',
      ),
    );

    expect(result.errors.map((e) => [e.row, e.column, e.message.replace(/"[^"]*"/, 'CODE')])).toEqual([
      [2, 'site_code', 'no site of your organisation has the code CODE'],
      [3, 'site_code', 'no site of your organisation has the code CODE'],
    ]);
    expect(await ctx.sql.get(`SELECT count(*) AS n FROM wards WHERE site_id = ?`, [theirSite.id])).toEqual({
      n: 0,
    });
  });

  it('checks without storing on a dry run, with what an import would create', async () => {
    const file = careHomeFile().join('\n');
    const before = await counts();

    const dry = await importFile(file, '?dryRun=true');

    expect(dry).toEqual({
      imported: false,
      rows: 50,
      created: { wards: 2, beds: 48, patients: 48, devices: 50 },
      errors: [],
    });
    expect(await counts()).toEqual({ ...before, audit_events: before.audit_events! + 1 });
    expect((await importFile(file)).created).toEqual(dry.created);
  });

  it('reports every problem of every row, on the line a spreadsheet shows it', async () => {
    await ctx.sql.run(`UPDATE beds SET closed_at = ? WHERE id = 'ward-a-bed-2'`, [new Date().toISOString()]);
    const file = [
      HEADER,
      '# a comment line, counted as a line but not a row',
      'site-a,Ward A,Room 1,Ann Example,,,,,,,,,', // occupied by a seeded resident
      'site-a,Ward A,Room 2,,,,,,,,,,', // closed
      `site-a,Annexe,Room 1,"=HYPERLINK(""x"")",,,2099-01-01,not ods!,Kin,,,,`,
      'site-a,Annexe,Room 2,"Dee, with a ""quoted""',
      'nickname",,,31/02/1950,,,,,aa:00:00:00:00:01,bp-cuff',
      'site-a,Annexe,Room 3,Eve Example,,,,,,,,ab:cd,kettle',
      'site-a,Annexe,Room 3,Fay Example,,,,,,,,ab:cd,bp-cuff',
      'site-a,Annexe,Room 4,,,,,,,,,ab:cd,bp-cuff,surplus',
    ].join('\r\n');

    const result = await importFile(file);

    expect(result.imported).toBe(false);
    expect(result.errors.map((e) => [e.row, e.column, e.message])).toEqual([
      [3, 'bed_label', 'bed "Room 1" is occupied: discharge its resident first'],
      [4, 'bed_label', 'bed "Room 2" is closed'],
      [5, 'resident_name', 'starts with "=", which a spreadsheet reads as a formula: remove it'],
      [5, 'date_of_birth', 'in the future'],
      [5, 'gp_practice_ods', 'not an ODS code: 3 to 10 letters and digits, e.g. A81001'],
      [5, 'next_of_kin_relationship', 'required'],
      [6, 'date_of_birth', 'not a real date'],
      [6, 'device_id', 'already assigned to a patient'],
      [8, 'device_model', 'unknown model: one of bp-cuff, falls-sensor, pulse-oximeter, thermometer'],
      [9, 'resident_name', 'the bed already has a resident, in row 8'],
      [10, null, "more cells than the header's 13 columns"],
      [10, 'device_id', 'the same device as row 9'],
    ]);
  });

  it('refuses unknown and missing columns, and a file that is not CSV', async () => {
    expect((await importFile('site_code,ward,bed_label\n')).errors).toEqual([
      { row: 1, column: 'ward', message: expect.stringMatching(/^unknown column/) },
      { row: 1, column: 'ward_name', message: 'this column is missing from the header' },
    ]);
    expect((await importFile(`${HEADER}\nsite-a,"Ward A,Room 1\n`)).errors).toEqual([
      { row: expect.any(Number), column: null, message: expect.stringMatching(/^not readable as CSV/) },
    ]);
  });

  it('hands out a template whose example, uncommented, imports', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/api/import/template.csv',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = res.body.split('\r\n');
    expect(lines[0]).toBe(HEADER);
    expect(lines.slice(1).every((line) => line === '' || line.startsWith('#'))).toBe(true);

    const filled = res.body.replace(/^# (your-site-code)/gm, 'site-a').replaceAll('your-site-code', 'site-a');
    expect(await importFile(filled)).toMatchObject({ imported: true, created: { patients: 1, devices: 2 } });
  });

  it('takes a file far over the 64 KiB other requests may send, up to 1 MiB, from admins only', async () => {
    const rows = [HEADER];
    for (let i = 1; i <= 4000; i++) rows.push(`site-a,Annexe,Bed ${String(i).padStart(4, '0')},,,,,,,,,,`);
    const file = rows.join('\n');
    expect(file.length).toBeGreaterThan(100 * 1024);

    expect(await importFile(file)).toMatchObject({ imported: true, created: { wards: 1, beds: 4000 } });

    expect((await post(`${HEADER}\n${'x'.repeat(1024 * 1024)}`)).statusCode).toBe(413);
    const nurse = await ctx.users.createSession('nurse');
    expect((await post(file, '', nurse)).statusCode).toBe(403);
  });
});
