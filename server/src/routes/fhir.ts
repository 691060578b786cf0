import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Observation } from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { NHS_NUMBER_SYSTEM, normaliseNhsNumber } from '@wardline/protocol';
import { ROLES, organisationOf, patientInScope } from '../auth/access.js';
import { requireClinicalDetail } from '../auth/family-consent.js';
import { requireRole } from '../auth/plugin.js';
import { Errors } from '../errors.js';
import {
  FHIR_KINDS,
  KIND_BY_CODE,
  observationResource,
  patientResource,
  searchsetBundle,
  type FhirResource,
} from '../fhir/resources.js';

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

const SearchQuery = Type.Object({
  patient: Type.String({ minLength: 1, maxLength: 160 }),
  date: Type.Optional(Type.Array(Type.String({ maxLength: 40 }), { maxItems: 4 })),
  code: Type.Optional(Type.String({ maxLength: 1000 })),
  _count: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
});
const IdParams = Type.Object({ id: Type.String({ maxLength: 128 }) });
const PatientSearchQuery = Type.Object({
  /** `https://fhir.nhs.uk/Id/nhs-number|9434765919`, or the number alone. */
  identifier: Type.Optional(Type.String({ maxLength: 200 })),
  name: Type.Optional(Type.String({ maxLength: 120 })),
  _count: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
});

interface Bound {
  op: '>=' | '<';
  at: string;
}

/** A FHIR date search value (prefix eq/ge/gt/le/lt, any precision down to ms) as SQL bounds on UTC time. */
export function dateBounds(param: string): Bound[] {
  const match =
    /^(eq|ge|gt|le|lt)?(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/.exec(
      param,
    );
  if (!match) throw new Errors.badRange(`date "${param}" is not a FHIR date search value`);
  const [, prefix = 'eq', y, mo, d, h, mi, s, frac, zone] = match;
  let start: number;
  let end: number;
  if (h !== undefined) {
    if (!zone) throw new Errors.badRange(`date "${param}" needs a time zone`);
    const text = `${y}-${mo}-${d}T${h}:${mi}:${s ?? '00'}${frac ? frac.slice(0, 4) : ''}${zone}`;
    start = Date.parse(text);
    end = start + (frac ? 1 : s !== undefined ? 1000 : 60_000);
  } else {
    const yi = Number(y);
    const mIndex = mo ? Number(mo) - 1 : 0;
    start = Date.UTC(yi, mIndex, d ? Number(d) : 1);
    end = d ? Date.UTC(yi, mIndex, Number(d) + 1) : mo ? Date.UTC(yi, mIndex + 1, 1) : Date.UTC(yi + 1, 0, 1);
  }
  if (Number.isNaN(start)) throw new Errors.badRange(`date "${param}" is not a valid time`);
  const iso = (ms: number) => new Date(ms).toISOString();
  switch (prefix) {
    case 'ge':
      return [{ op: '>=', at: iso(start) }];
    case 'gt':
      return [{ op: '>=', at: iso(end) }];
    case 'lt':
      return [{ op: '<', at: iso(start) }];
    case 'le':
      return [{ op: '<', at: iso(end) }];
    default:
      return [
        { op: '>=', at: iso(start) },
        { op: '<', at: iso(end) },
      ];
  }
}

function kindsForCodes(param: string | undefined): string[] {
  if (!param) return FHIR_KINDS;
  const kinds = new Set<string>();
  for (const token of param.split(',')) {
    const [system, code] = token.includes('|') ? token.split('|', 2) : [undefined, token];
    for (const [key, kind] of KIND_BY_CODE) {
      const [s, c] = key.split('|');
      if (c === code && (!system || system === s)) kinds.add(kind);
    }
  }
  return [...kinds];
}

interface Row {
  id: string;
  device_id: string;
  patient_id: string;
  kind: string;
  measured_at: string;
  received_at: string;
  seq: number;
  values_json: string;
  quality_json: string | null;
}

const ROW_COLUMNS =
  'id, device_id, patient_id, kind, measured_at, received_at, seq, values_json, quality_json';

function toStored(row: Row) {
  const observation = {
    id: row.id,
    deviceId: row.device_id,
    kind: row.kind,
    measuredAt: row.measured_at,
    seq: row.seq,
    ...(row.quality_json ? { quality: JSON.parse(row.quality_json) as unknown } : {}),
    values: JSON.parse(row.values_json) as unknown,
  } as Observation;
  return { observation, patientId: row.patient_id, receivedAt: row.received_at };
}

/**
 * FHIR R4 read-only facade over the server's own durable record: Patient read, Observation read
 * and Observation search by patient, date and code, as a searchset Bundle.
 */
export async function fhirRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const ctx = app.wardline;
  const { sql, patients, audit } = ctx;
  const anyone = requireRole(...ROLES.patientViewers);
  const staff = requireRole(...ROLES.staff);

  app.get(
    '/fhir/Patient/:id',
    { onRequest: anyone, schema: { params: IdParams } },
    async (request, reply) => {
      await patientInScope(ctx, request.user!, request.params.id);
      const patient = (await patients.record(request.params.id))!;
      await audit.recordForPatient(request, 'fhir.patient.read', patient.id);
      reply.type(FHIR_JSON);
      // A relative sees what the JSON API shows them: the name, never identifiers or date of birth.
      if (request.user!.role === 'family')
        return patientResource({ ...patient, nhsNumber: null, dateOfBirth: null });
      return patientResource(patient);
    },
  );

  // Search by NHS number (or name): the caller's organisation's patients only, of their wards when limited.
  app.get(
    '/fhir/Patient',
    { onRequest: staff, schema: { querystring: PatientSearchQuery } },
    async (request, reply) => {
      const q = request.query;
      let nhsNumber: string | null = null;
      if (q.identifier !== undefined) {
        const [system, value] = q.identifier.includes('|')
          ? q.identifier.split('|', 2)
          : [null, q.identifier];
        if (system && system !== NHS_NUMBER_SYSTEM)
          throw new Errors.badRequest(`identifier system must be ${NHS_NUMBER_SYSTEM}`);
        nhsNumber = normaliseNhsNumber(value ?? '');
      }
      const found =
        q.identifier !== undefined && !nhsNumber
          ? []
          : await patients.search(
              organisationOf(request),
              { q: q.name ?? '', nhsNumber, includeDischarged: true, limit: q._count },
              request.user!.wardIds,
            );
      await audit.recordForPatient(request, 'fhir.patient.search', null, { results: found.length });
      reply.type(FHIR_JSON);
      const base = app.publicUrl();
      return searchsetBundle(`${base}${request.url}`, found.map(patientResource), base);
    },
  );

  app.get(
    '/fhir/Observation/:id',
    { onRequest: anyone, schema: { params: IdParams } },
    async (request, reply) => {
      const row = await sql.get<Row>(
        `SELECT ${ROW_COLUMNS} FROM observations WHERE id = ? AND patient_id IS NOT NULL`,
        [request.params.id],
      );
      const resource = row ? observationResource(toStored(row)) : null;
      if (!row || !resource) throw new Errors.notFound('Observation');
      try {
        await patientInScope(ctx, request.user!, row.patient_id);
      } catch {
        throw new Errors.notFound('Observation');
      }
      await requireClinicalDetail(ctx.alerting.contacts, request.user!, row.patient_id);
      await audit.recordForPatient(request, 'fhir.observation.read', row.patient_id);
      reply.type(FHIR_JSON);
      return resource;
    },
  );

  app.get(
    '/fhir/Observation',
    { onRequest: anyone, schema: { querystring: SearchQuery } },
    async (request, reply) => {
      const q = request.query;
      const patientId = q.patient.replace(/^Patient\//, '');
      await patientInScope(ctx, request.user!, patientId);
      await requireClinicalDetail(ctx.alerting.contacts, request.user!, patientId);
      const bounds = (q.date ?? []).flatMap(dateBounds);
      const kinds = kindsForCodes(q.code);
      const rows = await sql.all<Row>(
        `SELECT ${ROW_COLUMNS} FROM observations
          WHERE patient_id = ? AND kind IN (SELECT value FROM ${sql.dialect.jsonArrayValues('?')})
          ${bounds.map((b) => `AND measured_at ${b.op} ?`).join(' ')}
          ORDER BY measured_at, device_id, seq LIMIT ?`,
        [patientId, JSON.stringify(kinds), ...bounds.map((b) => b.at), q._count],
      );
      const resources = rows
        .map((row) => observationResource(toStored(row)))
        .filter((r): r is FhirResource => r !== null);
      await audit.recordForPatient(request, 'fhir.observation.search', patientId, {
        results: resources.length,
      });
      reply.type(FHIR_JSON);
      // Links come from the configured public URL: the Host header is the client's to choose.
      const base = app.publicUrl();
      return searchsetBundle(`${base}${request.url}`, resources, base);
    },
  );
}
