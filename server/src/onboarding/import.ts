import {
  DEVICE_ID_PATTERN,
  isKnownDeviceModel,
  DEVICE_MODELS,
  type ImportResult,
  type NextOfKin,
} from '@wardline/protocol';
import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { ServerContext } from '../context.js';
import type { SqlDatabase } from '../db/engines/engine.js';
import { Errors } from '../errors.js';
import { parseImport, type ParsedRow, type RowError } from './parse.js';
import { RESIDENT_COLUMNS, type ImportColumn } from './template.js';
import { dateOfBirth, nhsNumber, odsCode, phone, text, type Checked } from './validate-cells.js';

interface SitePlan {
  id: string;
  code: string;
  kind: 'care_home' | 'virtual_ward';
}
interface WardPlan {
  id: string;
  isNew: boolean;
  name: string;
  site: SitePlan;
}
interface BedPlan {
  id: string;
  isNew: boolean;
  label: string;
  ward: WardPlan;
  /** Someone is in the bed already. */
  occupied: boolean;
  resident: ResidentPlan | null;
}
interface ResidentPlan {
  id: string;
  row: number;
  bed: BedPlan;
  displayName: string;
  preferredName: string | null;
  nhsNumber: string | null;
  dateOfBirth: string | null;
  gpPracticeOds: string | null;
  nextOfKin: NextOfKin | null;
}
interface DevicePlan {
  id: string;
  model: string;
  isNew: boolean;
  bed: BedPlan;
}

/** What an import reads and writes: the records, the audit, the places, the devices. */
export type ImportContext = { sql: SqlDatabase } & Pick<ServerContext, 'audit' | 'devices' | 'places'>;

export interface ImportOptions {
  organisationId: string;
  /** The admin importing: the audit's actor and the admissions' `admitted_by`. */
  request: FastifyRequest;
  dryRun: boolean;
  now?: Date;
}

export interface ImportOutcome {
  result: ImportResult;
  /** Beds that received a resident (for live updates of open ward screens). */
  admittedBeds: string[];
}

const devicePattern = new RegExp(DEVICE_ID_PATTERN);

/**
 * Imports a care home's beds, residents and devices from CSV: every row checked against the file
 * and the database, and then either all of it stored in one transaction or nothing (with every
 * row's problems). The checks and the writes run in one transaction; what another server changes
 * in between (a bed taken, an NHS number or device added) breaks a unique constraint, and the
 * whole import is refused as a conflict, to be checked again.
 */
export async function importCsv(
  ctx: ImportContext,
  csv: string,
  options: ImportOptions,
): Promise<ImportOutcome> {
  const parsed = parseImport(csv);
  const empty = { wards: 0, beds: 0, patients: 0, devices: 0 };
  if (parsed.errors.length > 0 && parsed.rows.length === 0)
    return { result: { imported: false, rows: 0, created: empty, errors: parsed.errors }, admittedBeds: [] };

  try {
    return await ctx.sql.transaction(() => planAndApply(ctx, parsed, options));
  } catch (error) {
    if (ctx.sql.constraintViolated(error) === 'unique')
      throw new Errors.conflict('the records changed during the import: check the file again');
    throw error;
  }
}

async function planAndApply(
  ctx: ImportContext,
  parsed: ReturnType<typeof parseImport>,
  options: ImportOptions,
): Promise<ImportOutcome> {
  const errors: RowError[] = [...parsed.errors];
  const plan = createPlanner(ctx, options.organisationId, options.now ?? new Date());
  for (const row of parsed.rows) await plan.row(row, errors);
  const created = plan.counts();
  errors.sort((a, b) => a.row - b.row);
  const rows = parsed.rows.length;
  if (errors.length > 0 || options.dryRun)
    return { result: { imported: false, rows, created, errors }, admittedBeds: [] };

  const admittedBeds = await plan.apply(options.request, (options.now ?? new Date()).toISOString());
  await ctx.audit.record(options.request, {
    action: 'import.apply',
    targetType: 'organisation',
    targetId: options.organisationId,
    detail: { rows, ...created },
  });
  return { result: { imported: true, rows, created, errors: [] }, admittedBeds };
}

function createPlanner(ctx: ImportContext, organisationId: string, now: Date) {
  const { sql } = ctx;
  const siteByCode = (code: string) =>
    sql.get<SitePlan & { closedAt: string | null }>(
      `SELECT id, code, kind, closed_at AS "closedAt" FROM sites WHERE code = ? AND organisation_id = ?`,
      [code, organisationId],
    );
  const wardByName = (siteId: string, name: string) =>
    sql.get<{ id: string; name: string; closedAt: string | null }>(
      `SELECT id, name, closed_at AS "closedAt" FROM wards WHERE site_id = ? AND lower(name) = lower(?)
        ORDER BY CASE WHEN closed_at IS NULL THEN 0 ELSE 1 END LIMIT 1`,
      [siteId, name],
    );
  const bedByLabel = (wardId: string, label: string) =>
    sql.get<{ id: string; label: string; closedAt: string | null; patientId: string | null }>(
      `SELECT b.id, b.label, b.closed_at AS "closedAt", p.id AS "patientId"
         FROM beds b LEFT JOIN patients p ON p.bed_id = b.id
        WHERE b.ward_id = ? AND lower(b.label) = lower(?)
        ORDER BY CASE WHEN b.closed_at IS NULL THEN 0 ELSE 1 END LIMIT 1`,
      [wardId, label],
    );
  const patientWithNhsNumber = async (nhs: string) =>
    (await sql.get(`SELECT 1 AS found FROM patients WHERE organisation_id = ? AND nhs_number = ?`, [
      organisationId,
      nhs,
    ])) !== undefined;
  const deviceById = (id: string) =>
    sql.get<{ id: string; model: string; siteCode: string; patientId: string | null }>(
      `SELECT d.id, d.model, d.site_code AS "siteCode", a.patient_id AS "patientId"
         FROM devices d LEFT JOIN assignments a ON a.device_id = d.id WHERE d.id = ?`,
      [id],
    );

  const sites = new Map<string, SitePlan | string>();
  const wards = new Map<string, WardPlan | string>();
  const beds = new Map<string, BedPlan | string>();
  const residents: ResidentPlan[] = [];
  const devices: DevicePlan[] = [];
  const nhsNumbersInFile = new Map<string, number>();
  const devicesInFile = new Map<string, number>();
  const residentRowOfBed = new Map<BedPlan, number>();

  /** The site, ward and bed of a row, each looked up once and planned if new; or the reason not. */
  async function place(
    row: ParsedRow,
    fail: (column: ImportColumn, message: string) => void,
  ): Promise<BedPlan | null> {
    const { site_code: code } = row.cells;
    if (code === '') return (fail('site_code', 'required'), null);
    if (!sites.has(code)) {
      const found = await siteByCode(code);
      // Another organisation's site is answered as absent: nobody learns what another one holds.
      sites.set(
        code,
        !found
          ? `no site of your organisation has the code "${code}"`
          : found.closedAt
            ? 'the site is closed'
            : found,
      );
    }
    const site = sites.get(code)!;
    if (typeof site === 'string') return (fail('site_code', site), null);

    const wardName = text(row.cells.ward_name, 120, true);
    if ('error' in wardName) return (fail('ward_name', wardName.error), null);
    const wardKey = `${site.id}\n${wardName.value!.toLowerCase()}`;
    if (!wards.has(wardKey)) {
      const found = await wardByName(site.id, wardName.value!);
      wards.set(
        wardKey,
        !found
          ? { id: `ward-${randomUUID()}`, isNew: true, name: wardName.value!, site }
          : found.closedAt
            ? `ward "${found.name}" is closed`
            : { id: found.id, isNew: false, name: found.name, site },
      );
    }
    const ward = wards.get(wardKey)!;
    if (typeof ward === 'string') return (fail('ward_name', ward), null);

    const label = text(row.cells.bed_label, 40, true);
    if ('error' in label) return (fail('bed_label', label.error), null);
    const bedKey = `${wardKey}\n${label.value!.toLowerCase()}`;
    if (!beds.has(bedKey)) {
      const found = ward.isNew ? undefined : await bedByLabel(ward.id, label.value!);
      beds.set(
        bedKey,
        !found
          ? {
              id: `bed-${randomUUID()}`,
              isNew: true,
              label: label.value!,
              ward,
              occupied: false,
              resident: null,
            }
          : found.closedAt
            ? `bed "${found.label}" is closed`
            : {
                id: found.id,
                isNew: false,
                label: found.label,
                ward,
                occupied: found.patientId !== null,
                resident: null,
              },
      );
    }
    const bed = beds.get(bedKey)!;
    if (typeof bed === 'string') return (fail('bed_label', bed), null);
    return bed;
  }

  async function resident(
    row: ParsedRow,
    bed: BedPlan | null,
    fail: (column: ImportColumn, message: string) => void,
  ) {
    const { cells } = row;
    if (!RESIDENT_COLUMNS.some((column) => cells[column] !== '')) return;
    const cell = <T>(column: ImportColumn, checked: Checked<T>): T | undefined => {
      if ('error' in checked) return (fail(column, checked.error), undefined);
      return checked.value;
    };
    const displayName = cell('resident_name', text(cells.resident_name, 120, true));
    const preferredName = cell('preferred_name', text(cells.preferred_name, 120, false));
    const nhs = cell('nhs_number', nhsNumber(cells.nhs_number));
    if (nhs) {
      const earlier = nhsNumbersInFile.get(nhs);
      if (earlier !== undefined) fail('nhs_number', `the same NHS number as row ${earlier}`);
      else if (await patientWithNhsNumber(nhs))
        fail(
          'nhs_number',
          'a patient of your organisation already has this NHS number: re-admit them from their record',
        );
      else nhsNumbersInFile.set(nhs, row.row);
    }
    const born = cell('date_of_birth', dateOfBirth(cells.date_of_birth, now));
    const gp = cell('gp_practice_ods', odsCode(cells.gp_practice_ods));
    let nextOfKin: NextOfKin | null | undefined = null;
    if (cells.next_of_kin_name || cells.next_of_kin_relationship || cells.next_of_kin_phone) {
      const name = cell('next_of_kin_name', text(cells.next_of_kin_name, 120, true));
      const relationship = cell('next_of_kin_relationship', text(cells.next_of_kin_relationship, 60, true));
      const number = cell('next_of_kin_phone', phone(cells.next_of_kin_phone));
      nextOfKin =
        name && relationship && number !== undefined
          ? { name, relationship, ...(number ? { phone: number } : {}) }
          : undefined;
    }
    if (!bed) return;
    const earlier = residentRowOfBed.get(bed);
    if (earlier !== undefined)
      return fail('resident_name', `the bed already has a resident, in row ${earlier}`);
    if (bed.occupied)
      return fail('bed_label', `bed "${bed.label}" is occupied: discharge its resident first`);
    residentRowOfBed.set(bed, row.row);
    if (
      displayName == null ||
      preferredName === undefined ||
      nhs === undefined ||
      born === undefined ||
      gp === undefined ||
      nextOfKin === undefined
    )
      return;
    const plan: ResidentPlan = {
      id: `p-${randomUUID()}`,
      row: row.row,
      bed,
      displayName,
      preferredName,
      nhsNumber: nhs,
      dateOfBirth: born,
      gpPracticeOds: gp,
      nextOfKin,
    };
    bed.resident = plan;
    residents.push(plan);
  }

  async function device(
    row: ParsedRow,
    bed: BedPlan | null,
    fail: (column: ImportColumn, message: string) => void,
  ) {
    const { device_id: id, device_model: model } = row.cells;
    if (id === '' && model === '') return;
    if (id === '') return fail('device_id', 'required with a device model');
    if (!devicePattern.test(id) || id.startsWith('staff:'))
      return fail(
        'device_id',
        'not a device id: a BLE address (aa:bb:cc:dd:ee:ff) or a serial of letters, digits, - and _',
      );
    if (!isKnownDeviceModel(model))
      return fail(
        'device_model',
        model === '' ? 'required with a device id' : `unknown model: one of ${DEVICE_MODELS.join(', ')}`,
      );
    const earlier = devicesInFile.get(id);
    if (earlier !== undefined) return fail('device_id', `the same device as row ${earlier}`);
    devicesInFile.set(id, row.row);
    const existing = await deviceById(id);
    if (!bed) return;
    if (existing) {
      if (existing.siteCode !== bed.ward.site.code) return fail('device_id', 'registered to another site');
      if (existing.patientId) return fail('device_id', 'already assigned to a patient');
      if (existing.model !== model)
        return fail('device_model', `the device is registered as ${existing.model}`);
    }
    devices.push({ id, model, isNew: !existing, bed });
  }

  return {
    async row(row: ParsedRow, errors: RowError[]): Promise<void> {
      const fail = (column: ImportColumn, message: string) => errors.push({ row: row.row, column, message });
      const bed = await place(row, fail);
      await resident(row, bed, fail);
      await device(row, bed, fail);
    },

    counts(): ImportResult['created'] {
      const planned = <T>(map: Map<string, T | string>) =>
        [...map.values()].filter((v) => typeof v !== 'string' && (v as { isNew: boolean }).isNew).length;
      return {
        wards: planned(wards),
        beds: planned(beds),
        patients: residents.length,
        devices: devices.length,
      };
    },

    /** Writes the plan; returns the beds that received a resident. */
    async apply(request: FastifyRequest, at: string): Promise<string[]> {
      const by = request.user!.username;
      const sortOrders = new Map<string, number>();
      /** New beds go after a ward's existing ones, in the order of the file. */
      const nextSortOrder = async (wardId: string) => {
        let last = sortOrders.get(wardId);
        if (last === undefined) {
          const row = await sql.get<{ n: number }>(
            `SELECT coalesce(max(sort_order), 0) AS n FROM beds WHERE ward_id = ?`,
            [wardId],
          );
          last = row!.n;
        }
        sortOrders.set(wardId, last + 1);
        return last + 1;
      };
      for (const ward of wards.values())
        if (typeof ward !== 'string' && ward.isNew)
          await sql.run(
            `INSERT INTO wards (id, name, kind, site_code, site_id, organisation_id) VALUES (?, ?, ?, ?, ?, ?)`,
            [ward.id, ward.name, ward.site.kind, ward.site.code, ward.site.id, organisationId],
          );
      for (const bed of beds.values())
        if (typeof bed !== 'string' && bed.isNew)
          await sql.run(`INSERT INTO beds (id, ward_id, label, sort_order) VALUES (?, ?, ?, ?)`, [
            bed.id,
            bed.ward.id,
            bed.label,
            await nextSortOrder(bed.ward.id),
          ]);
      for (const r of residents) {
        // An existing bed is held open (see holdOpenBed): closed meanwhile, the import is refused.
        if (!r.bed.isNew && !(await ctx.places.holdOpenBed(r.bed.id)))
          throw new Errors.conflict(
            `bed "${r.bed.label}" was closed during the import: check the file again`,
          );
        await sql.run(
          `INSERT INTO patients (id, display_name, bed_id, admitted_at, organisation_id, created_at, nhs_number,
                                 date_of_birth, preferred_name, next_of_kin_json, gp_ods_code)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            r.id,
            r.displayName,
            r.bed.id,
            at,
            organisationId,
            at,
            r.nhsNumber,
            r.dateOfBirth,
            r.preferredName,
            r.nextOfKin ? JSON.stringify(r.nextOfKin) : null,
            r.gpPracticeOds,
          ],
        );
        await sql.run(
          `INSERT INTO admissions (patient_id, ward_id, bed_id, admitted_at, admitted_by) VALUES (?, ?, ?, ?, ?)`,
          [r.id, r.bed.ward.id, r.bed.id, at, by],
        );
        await ctx.audit.record(request, {
          action: 'patient.admit',
          patientId: r.id,
          targetType: 'bed',
          targetId: r.bed.id,
          detail: { source: 'import', wardId: r.bed.ward.id },
        });
      }
      for (const d of devices) {
        if (d.isNew) await ctx.devices.registerDevice(d.id, d.model, d.bed.ward.site.code, null);
        if (d.bed.resident) await ctx.devices.assign(d.id, d.bed.resident.id, by, at);
      }
      return residents.map((r) => r.bed.id);
    },
  };
}
