import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import createError from '@fastify/error';
import {
  AdmitPatientRequest,
  DATE_PATTERN,
  NextOfKin,
  OBSERVATION_KINDS,
  ODS_CODE_PATTERN,
  PatientDetails,
  ReadmitRequest,
  normaliseNhsNumber,
  type DeviceState,
  type PatientListItem,
  type PatientRecord,
  type PatientSummary,
  type StoredObservation,
} from '@wardline/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import Type from 'typebox';
import { ROLES, bedInScope, organisationOf, patientInScope } from '../auth/access.js';
import { lastReadingAt, mayShowClinicalDetail, requireClinicalDetail } from '../auth/family-consent.js';
import { requireRole } from '../auth/plugin.js';
import type { AuthenticatedUser } from '../auth/user-repository.js';
import type { ServerContext } from '../context.js';
import { Errors } from '../errors.js';

export const PatientErrors = {
  invalidNhsNumber: createError(
    'WL_INVALID_NHS_NUMBER',
    'That is not a valid NHS number: ten digits whose last is the check digit',
    400,
  ),
  duplicateNhsNumber: createError(
    'WL_DUPLICATE_NHS_NUMBER',
    'Another patient of this organisation already has that NHS number',
    409,
  ),
  futureBirthDate: createError('WL_BAD_REQUEST', 'The date of birth is in the future', 400),
};

const HistoryQuery = Type.Object({
  kind: Type.Optional(Type.Union(OBSERVATION_KINDS.map((k) => Type.Literal(k)))),
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
  limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
  order: Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'asc' }),
});
const PatientParams = Type.Object({ patientId: Type.String({ maxLength: 128 }) });
// Null first: fastify coerces types, and a null tried against a string schema first becomes "".
const NullFirst = <T extends Type.TSchema>(schema: T) => Type.Optional(Type.Union([Type.Null(), schema]));
const DetailFields = {
  preferredName: NullFirst(Type.String({ maxLength: 120 })),
  /** People write NHS numbers with spaces: the contract's ten digits are checked by the route. */
  nhsNumber: NullFirst(Type.String({ maxLength: 20 })),
  dateOfBirth: NullFirst(Type.String({ pattern: DATE_PATTERN })),
  gpPracticeOds: NullFirst(Type.String({ pattern: ODS_CODE_PATTERN })),
  nextOfKin: NullFirst(NextOfKin),
};
const AdmitBody = Type.Object(
  {
    bedId: AdmitPatientRequest.properties.bedId,
    displayName: PatientDetails.properties.displayName,
    ...DetailFields,
  },
  { additionalProperties: false },
);
const UpdateBody = Type.Object(
  { displayName: Type.Optional(PatientDetails.properties.displayName), ...DetailFields },
  { additionalProperties: false },
);
const SearchQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 120 })),
  /** Discharged patients too (the default, as the list always was; false: those in a bed now). */
  includeDischarged: Type.Optional(Type.Boolean()),
  limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
});

/** Checks and normalises details: a valid NHS number unique in the organisation, a birth date not ahead. */
export async function checkedDetails<T extends Partial<PatientDetails>>(
  ctx: Pick<ServerContext, 'patients'>,
  organisationId: string,
  details: T,
  patientId = '',
): Promise<T> {
  const result = { ...details };
  if (typeof details.nhsNumber === 'string') {
    const nhsNumber = normaliseNhsNumber(details.nhsNumber);
    if (!nhsNumber) throw new PatientErrors.invalidNhsNumber();
    if (await ctx.patients.nhsNumberTaken(organisationId, nhsNumber, patientId))
      throw new PatientErrors.duplicateNhsNumber();
    result.nhsNumber = nhsNumber;
  }
  if (typeof details.dateOfBirth === 'string') {
    const at = Date.parse(`${details.dateOfBirth}T00:00:00Z`);
    if (Number.isNaN(at)) throw new Errors.badRequest('The date of birth is not a date');
    if (at > Date.now()) throw new PatientErrors.futureBirthDate();
  }
  return result;
}

/** A record as a family member sees it: who and where, none of the identifiers. */
function familyRecord(record: PatientRecord): PatientSummary {
  return {
    id: record.id,
    displayName: record.displayName,
    wardId: record.wardId,
    bedId: record.bedId,
    bedLabel: record.bedLabel,
  };
}

export async function patientRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const ctx = app.wardline;
  const { sql, wards, places, patients, observations, devices, bedChanges, audit } = ctx;

  /** What a family user is told of consent, and, for the limited view, when readings last came. */
  const familyConsent = async (user: AuthenticatedUser, patientId: string) => ({
    clinicalDetail: await mayShowClinicalDetail(ctx.alerting.contacts, user, patientId),
    lastReadingAt: await lastReadingAt(observations, patientId),
  });
  const viewers = requireRole(...ROLES.patientViewers);
  const clinicalLead = requireRole(...ROLES.clinicalLead);

  /** A free, open bed the user may admit to, or 404/409; held open until the transaction ends. */
  async function freeBed(request: FastifyRequest, bedId: string) {
    const bed = await bedInScope(ctx, request.user!, bedId);
    if (bed.closedAt || bed.wardClosedAt || !(await places.holdOpenBed(bedId)))
      throw new Errors.conflict(`bed ${bedId} is closed`);
    if (await wards.bedOccupant(bedId)) throw new Errors.conflict(`bed ${bedId} is occupied`);
    return bed;
  }

  /**
   * Unique constraints decide between two requests at once (from two replicas, say) that the
   * checks before let through: one bed per patient, one NHS number per organisation. The later
   * request is refused as the check would have refused it.
   */
  async function uniquely<T>(
    taken: { bedId?: string; nhsNumber?: unknown },
    work: () => Promise<T>,
  ): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (sql.constraintViolated(error) !== 'unique') throw error;
      if (taken.bedId && (await wards.bedOccupant(taken.bedId)))
        throw new Errors.conflict(`bed ${taken.bedId} is occupied`);
      if (typeof taken.nhsNumber === 'string') throw new PatientErrors.duplicateNhsNumber();
      throw error;
    }
  }

  app.post(
    '/api/patients',
    { onRequest: clinicalLead, schema: { body: AdmitBody } },
    async (request, reply): Promise<PatientRecord> => {
      const { bedId, displayName, ...rest } = request.body;
      const organisationId = organisationOf(request);
      await bedInScope(ctx, request.user!, bedId);
      const details = await checkedDetails(ctx, organisationId, { displayName, ...rest });
      // A pseudonymous id: it travels to time-series stores and exports, so it must not identify anyone.
      const id = `p-${randomUUID()}`;
      await uniquely({ bedId, nhsNumber: details.nhsNumber }, () =>
        sql.transaction(async () => {
          await freeBed(request, bedId);
          const at = new Date().toISOString();
          await wards.admit({ id, displayName, bedId, at, by: request.user!.username });
          await patients.updateDetails(id, details);
        }),
      );
      request.log.info({ patientId: id, bedId, by: request.user!.username }, 'patient admitted');
      await audit.recordForPatient(request, 'patient.admit', id, { bedId });
      await bedChanges.announce(wards, bedId);
      reply.code(201);
      return (await patients.record(id))!;
    },
  );

  app.post(
    '/api/patients/:patientId/admit',
    { onRequest: clinicalLead, schema: { params: PatientParams, body: ReadmitRequest } },
    async (request): Promise<PatientRecord> => {
      const { patientId } = request.params;
      const patient = await patientInScope(ctx, request.user!, patientId);
      const { bedId } = request.body;
      await bedInScope(ctx, request.user!, bedId);
      await uniquely({ bedId }, () =>
        sql.transaction(async () => {
          const inBed = () => new Errors.conflict('the patient is in a bed already: discharge them first');
          if ((await wards.patient(patientId))?.bedId) throw inBed();
          const bed = await freeBed(request, bedId);
          // The conditional UPDATE decides between two re-admissions at once.
          if (!(await patients.readmit(patient.id, bed, request.user!.username, new Date().toISOString())))
            throw inBed();
        }),
      );
      request.log.info({ patientId, bedId, by: request.user!.username }, 'patient re-admitted');
      await audit.recordForPatient(request, 'patient.admit', patientId, { bedId });
      await bedChanges.announce(wards, bedId);
      return (await patients.record(patientId))!;
    },
  );

  app.post(
    '/api/patients/:patientId/discharge',
    { onRequest: clinicalLead, schema: { params: PatientParams } },
    async (request): Promise<PatientRecord> => {
      const { patientId } = request.params;
      await patientInScope(ctx, request.user!, patientId);
      const at = new Date().toISOString();
      const by = request.user!.username;
      const bedId = (await wards.patient(patientId))?.bedId ?? null;
      await sql.transaction(async () => {
        if (!(await wards.discharge(patientId, at, by)))
          throw new Errors.conflict('patient is already discharged');
        // A discharged person's devices must not keep attributing readings to them.
        for (const deviceId of await devices.devicesAssignedTo(patientId))
          await devices.unassign(deviceId, by, at);
      });
      request.log.info({ patientId, by }, 'patient discharged');
      await audit.recordForPatient(request, 'patient.discharge', patientId, { bedId });
      await bedChanges.announce(wards, bedId);
      return (await patients.record(patientId))!;
    },
  );

  app.patch(
    '/api/patients/:patientId',
    { onRequest: clinicalLead, schema: { params: PatientParams, body: UpdateBody } },
    async (request): Promise<PatientRecord> => {
      const { patientId } = request.params;
      const patient = await patientInScope(ctx, request.user!, patientId);
      const details = await checkedDetails(ctx, patient.organisationId!, request.body, patientId);
      const fields = await uniquely(details, () => patients.updateDetails(patientId, details));
      await audit.recordForPatient(request, 'patient.edit', patientId, { fields });
      if ('displayName' in details)
        await bedChanges.announce(wards, (await wards.patient(patientId))?.bedId ?? null);
      return (await patients.record(patientId))!;
    },
  );

  app.get(
    '/api/patients',
    { onRequest: viewers, schema: { querystring: SearchQuery } },
    async (request): Promise<PatientListItem[] | PatientSummary[]> => {
      const user = request.user!;
      if (user.role === 'family') {
        const own = user.patientId ? await wards.patient(user.patientId) : undefined;
        return own ? [{ ...own, family: await familyConsent(user, own.id) }] : [];
      }
      const { q, includeDischarged, limit } = request.query;
      const text = q?.trim() ?? '';
      // Digits only (spaces allowed): an NHS number; otherwise a part of a name.
      const nhsNumber = /^[0-9\s-]{10,14}$/.test(text) ? normaliseNhsNumber(text) : null;
      const found = await patients.search(
        organisationOf(request),
        { q: text, nhsNumber, includeDischarged: includeDischarged ?? true, limit },
        user.wardIds,
      );
      if (text) await audit.record(request, { action: 'patient.search', detail: { results: found.length } });
      return found;
    },
  );

  app.get(
    '/api/patients/:patientId',
    { onRequest: viewers, schema: { params: PatientParams } },
    async (request): Promise<PatientRecord | PatientSummary> => {
      const { patientId } = request.params;
      await patientInScope(ctx, request.user!, patientId);
      const record = (await patients.record(patientId))!;
      await audit.recordForPatient(request, 'patient.view', patientId);
      const user = request.user!;
      return user.role === 'family'
        ? { ...familyRecord(record), family: await familyConsent(user, patientId) }
        : record;
    },
  );

  app.get(
    '/api/patients/:patientId/devices',
    { onRequest: viewers, schema: { params: PatientParams } },
    async (request): Promise<DeviceState[]> => {
      const { patientId } = request.params;
      await patientInScope(ctx, request.user!, patientId);
      await audit.recordForPatient(request, 'patient.devices.view', patientId);
      return (await devices.devicesOfPatients([patientId])).get(patientId) ?? [];
    },
  );

  app.get(
    '/api/patients/:patientId/observations',
    { onRequest: viewers, schema: { params: PatientParams, querystring: HistoryQuery } },
    async (request): Promise<StoredObservation[]> => {
      const { patientId } = request.params;
      await patientInScope(ctx, request.user!, patientId);
      await requireClinicalDetail(ctx.alerting.contacts, request.user!, patientId);
      const { kind, from, to, limit, order } = request.query;
      await audit.recordForPatient(
        request,
        'patient.observations.view',
        patientId,
        kind ? { kind } : undefined,
      );
      // Stored times are ISO strings in UTC; normalise the bounds so string order is time order.
      return observations.history({
        patientId,
        limit,
        newestFirst: order === 'desc',
        ...(kind ? { kind } : {}),
        ...(from ? { from: new Date(from).toISOString() } : {}),
        ...(to ? { to: new Date(to).toISOString() } : {}),
      });
    },
  );
}
