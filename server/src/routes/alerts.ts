import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import createError from '@fastify/error';
import type { Alert } from '@wardline/protocol';
import {
  AcknowledgeRequest,
  AlertListQuery,
  FamilyContactInput,
  ManualObservationRequest,
  ResolveRequest,
  ThresholdsUpdate,
  validateObservation,
  type AlertWithHistory,
  type FamilyContact,
  type News2Summary,
  type Observation,
  type PatientThresholds,
} from '@wardline/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { STAFF_GATEWAY_ID } from '../alerts/engine.js';
import { SAFETY_CONDITIONS } from '../alerts/rules/index.js';
import { ROLES, alertInScope, organisationOf, patientInScope } from '../auth/access.js';
import { requireClinicalDetail } from '../auth/family-consent.js';
import { requireRole } from '../auth/plugin.js';
import type { AuthenticatedUser } from '../auth/user-repository.js';
import { Errors } from '../errors.js';
import type { IngestOutcome } from '../ingest/ingest.js';
import { isValidTimeZone } from '../notify/quiet-hours.js';

export const AlertErrors = {
  notOpen: createError('WL_ALERT_NOT_OPEN', 'Only an open alert can be acknowledged', 409),
  alreadyResolved: createError('WL_ALERT_RESOLVED', 'The alert is already resolved', 409),
  badTimeZone: createError<[string]>('WL_BAD_TIME_ZONE', 'Unknown time zone %s', 400),
  emptyObservation: createError('WL_NO_OBSERVATIONS', 'Give at least one observation', 400),
  badObservation: createError<[string]>('WL_BAD_OBSERVATION', '%s', 400),
};

const SAFETY = SAFETY_CONDITIONS;
const CLINICAL_FOR_FAMILY = new Set(['news2', 'bp_low', 'spo2_low']);

const AlertParams = Type.Object({ alertId: Type.Integer({ minimum: 1 }) });
const PatientParams = Type.Object({ patientId: Type.String({ maxLength: 128 }) });
const ContactParams = Type.Object({
  patientId: Type.String({ maxLength: 128 }),
  contactId: Type.Integer({ minimum: 1 }),
});

/** Alerts, thresholds, family contacts and staff-entered observations. */
export async function alertRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const ctx = app.wardline;
  const { alerting, wards, observations, audit } = ctx;
  const staff = requireRole(...ROLES.staff);
  const clinicalLead = requireRole(...ROLES.clinicalLead);
  const anyone = requireRole(...ROLES.patientViewers);

  /** The patient, if the user may see them (404 across organisations, as if absent). */
  async function patientOr404(request: FastifyRequest, patientId: string) {
    await patientInScope(ctx, request.user!, patientId);
    return (await wards.patient(patientId))!;
  }

  /** What a family member may see of an alert: falls and help calls, clinical ones only with consent. */
  async function familyView(user: AuthenticatedUser, alert: Alert): Promise<Alert | null> {
    if (!alert.patientId || user.patientId !== alert.patientId) return null;
    const contact = await alerting.contacts.forUser(alert.patientId, user.username);
    if (!contact?.consent.notify) return null;
    if (SAFETY.has(alert.condition)) return alerting.limitedForFamily(alert, contact.consent.clinicalDetail);
    if (CLINICAL_FOR_FAMILY.has(alert.condition) && contact.consent.clinicalDetail)
      return alerting.limitedForFamily(alert, true);
    return null;
  }

  app.get(
    '/api/alerts',
    { onRequest: anyone, schema: { querystring: AlertListQuery } },
    async (request): Promise<Alert[]> => {
      const user = request.user!;
      const { state, ...rest } = request.query;
      const q = { ...rest, ...(state && state !== 'all' ? { state } : {}) };
      if (user.role === 'family') {
        if (!user.patientId) return [];
        const rows = await alerting.store.list({
          ...q,
          patientId: user.patientId,
          wardId: undefined,
        } as typeof q);
        const views: Alert[] = [];
        for (const r of rows) {
          const view = await familyView(user, alerting.toAlert(r));
          if (view) views.push(view);
        }
        return views;
      }
      const scoped = {
        ...q,
        organisationId: organisationOf(request),
        ...(user.wardIds ? { wardIds: JSON.stringify(user.wardIds) } : {}),
      };
      const rows = await alerting.store.list(scoped);
      // One patient's alerts are part of their record; ward-wide lists are the ward's screen.
      if (q.patientId && rows.length > 0)
        await audit.recordForPatient(request, 'patient.alerts.view', q.patientId, { results: rows.length });
      return rows.map((r) => alerting.toAlert(r));
    },
  );

  app.get(
    '/api/alerts/:alertId',
    { onRequest: anyone, schema: { params: AlertParams } },
    async (request): Promise<AlertWithHistory> => {
      const user = request.user!;
      const found = await alerting.store.get(request.params.alertId);
      if (!found) throw new Errors.notFound('alert');
      if (user.role === 'family') {
        const view = await familyView(user, alerting.toAlert(found));
        if (!view) throw new Errors.notFound('alert');
        return { alert: view, transitions: [], notifications: [] };
      }
      const row = await alertInScope(ctx, user, found);
      const alert = alerting.toAlert(row);
      await audit.record(request, {
        action: 'alert.view',
        patientId: row.patient_id,
        targetType: 'alert',
        targetId: String(row.id),
      });
      return {
        alert,
        transitions: await alerting.store.transitions(row.id),
        notifications: await alerting.outbox.forAlert(row.id),
      };
    },
  );

  app.post(
    '/api/alerts/:alertId/acknowledge',
    { onRequest: staff, schema: { params: AlertParams, body: AcknowledgeRequest } },
    async (request): Promise<Alert> => {
      const { alertId } = request.params;
      const row = await alertInScope(ctx, request.user!, await alerting.store.get(alertId));
      if (!(await alerting.acknowledge(alertId, request.user!.username, request.body.note ?? null)))
        throw new AlertErrors.notOpen();
      await audit.record(request, {
        action: 'alert.acknowledge',
        patientId: row.patient_id,
        targetType: 'alert',
        targetId: String(alertId),
      });
      return alerting.toAlert((await alerting.store.get(alertId))!);
    },
  );

  app.post(
    '/api/alerts/:alertId/resolve',
    { onRequest: staff, schema: { params: AlertParams, body: ResolveRequest } },
    async (request): Promise<Alert> => {
      const { alertId } = request.params;
      const row = await alertInScope(ctx, request.user!, await alerting.store.get(alertId));
      if (!(await alerting.resolve(alertId, request.user!.username, request.body.note)))
        throw new AlertErrors.alreadyResolved();
      await audit.record(request, {
        action: 'alert.resolve',
        patientId: row.patient_id,
        targetType: 'alert',
        targetId: String(alertId),
      });
      return alerting.toAlert((await alerting.store.get(alertId))!);
    },
  );

  app.get(
    '/api/patients/:patientId/news2',
    { onRequest: anyone, schema: { params: PatientParams } },
    async (request): Promise<News2Summary> => {
      const user = request.user!;
      const { patientId } = request.params;
      await patientOr404(request, patientId);
      await requireClinicalDetail(alerting.contacts, user, patientId);
      await audit.recordForPatient(request, 'patient.news2.view', patientId);
      return await alerting.news2(patientId);
    },
  );

  app.get(
    '/api/patients/:patientId/thresholds',
    { onRequest: staff, schema: { params: PatientParams } },
    async (request): Promise<PatientThresholds> => {
      await patientOr404(request, request.params.patientId);
      await audit.recordForPatient(request, 'patient.thresholds.view', request.params.patientId);
      return await alerting.thresholds.describe(request.params.patientId);
    },
  );

  app.put(
    '/api/patients/:patientId/thresholds',
    { onRequest: clinicalLead, schema: { params: PatientParams, body: ThresholdsUpdate } },
    async (request): Promise<PatientThresholds> => {
      const { patientId } = request.params;
      await patientOr404(request, patientId);
      await alerting.thresholds.update(
        patientId,
        request.body.changes,
        request.user!.username,
        request.body.reason,
        new Date().toISOString(),
      );
      await audit.recordForPatient(request, 'patient.thresholds.update', patientId, {
        fields: Object.keys(request.body.changes),
      });
      return await alerting.thresholds.describe(patientId);
    },
  );

  app.post(
    '/api/patients/:patientId/manual-observations',
    { onRequest: staff, schema: { params: PatientParams, body: ManualObservationRequest } },
    async (request, reply): Promise<Observation[]> => {
      const { patientId } = request.params;
      const patient = await patientOr404(request, patientId);
      const made = alerting.manualObservations(patientId, request.body, request.user!.username);
      if (made.length === 0) throw new AlertErrors.emptyObservation();
      const at = new Date();
      const accepted: Observation[] = [];
      for (const candidate of made) {
        // The device contract's own validation: staff entries obey the same ranges and units.
        const result = validateObservation(candidate, { now: at.getTime() });
        if (!result.ok)
          throw new AlertErrors.badObservation(`${result.rejection.code}: ${result.rejection.detail}`);
        accepted.push(result.value);
      }
      const receivedAt = at.toISOString();
      const outcome: IngestOutcome = {
        observations: accepted.map((observation) => ({
          observation,
          patientId,
          bedId: patient.bedId,
          wardId: patient.wardId,
          receivedAt,
        })),
        deviceStatuses: [],
        gatewayStatus: null,
        duplicates: 0,
        rejections: [],
      };
      await alerting.record(outcome, async () => {
        for (const observation of accepted)
          await observations.insert({ observation, patientId, gatewayId: STAFF_GATEWAY_ID, receivedAt });
      });
      await audit.recordForPatient(request, 'observation.record', patientId, {
        kinds: accepted.map((o) => o.kind),
      });
      reply.code(201);
      return accepted;
    },
  );

  function checkContact(input: FamilyContactInput) {
    if (!isValidTimeZone(input.timeZone)) throw new AlertErrors.badTimeZone(input.timeZone);
  }

  app.get(
    '/api/patients/:patientId/contacts',
    { onRequest: staff, schema: { params: PatientParams } },
    async (request): Promise<FamilyContact[]> => {
      await patientOr404(request, request.params.patientId);
      await audit.recordForPatient(request, 'patient.contacts.view', request.params.patientId);
      return await alerting.contacts.list(request.params.patientId);
    },
  );

  app.post(
    '/api/patients/:patientId/contacts',
    { onRequest: clinicalLead, schema: { params: PatientParams, body: FamilyContactInput } },
    async (request, reply): Promise<FamilyContact> => {
      await patientOr404(request, request.params.patientId);
      checkContact(request.body);
      const contact = await alerting.contacts.create(
        request.params.patientId,
        request.body,
        request.user!.username,
        new Date().toISOString(),
      );
      await audit.recordForPatient(request, 'contact.create', request.params.patientId, {
        contactId: contact.id,
      });
      reply.code(201);
      return contact;
    },
  );

  app.put(
    '/api/patients/:patientId/contacts/:contactId',
    { onRequest: clinicalLead, schema: { params: ContactParams, body: FamilyContactInput } },
    async (request): Promise<FamilyContact> => {
      await patientOr404(request, request.params.patientId);
      const existing = await alerting.contacts.get(request.params.contactId);
      if (!existing || existing.patientId !== request.params.patientId) throw new Errors.notFound('contact');
      checkContact(request.body);
      const updated = (await alerting.contacts.update(
        request.params.contactId,
        request.body,
        request.user!.username,
        new Date().toISOString(),
      ))!;
      await audit.recordForPatient(request, 'contact.update', request.params.patientId, {
        contactId: updated.id,
      });
      return updated;
    },
  );

  app.delete(
    '/api/patients/:patientId/contacts/:contactId',
    { onRequest: clinicalLead, schema: { params: ContactParams } },
    async (request, reply) => {
      await patientOr404(request, request.params.patientId);
      const existing = await alerting.contacts.get(request.params.contactId);
      if (!existing || existing.patientId !== request.params.patientId) throw new Errors.notFound('contact');
      await alerting.contacts.remove(
        request.params.contactId,
        request.user!.username,
        new Date().toISOString(),
      );
      await audit.recordForPatient(request, 'contact.delete', request.params.patientId, {
        contactId: request.params.contactId,
      });
      reply.code(204);
    },
  );
}
