import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  CreateBedsRequest,
  CreateSiteRequest,
  CreateWardRequest,
  RenameRequest,
  type Bed,
  type Site,
  type Ward,
} from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { ROLES, organisationOf, wardOfOrganisation } from '../auth/access.js';
import { requireRole } from '../auth/plugin.js';
import { Errors } from '../errors.js';

const SiteParams = Type.Object({ siteId: Type.String({ maxLength: 128 }) });
const WardParams = Type.Object({ wardId: Type.String({ maxLength: 128 }) });
const BedParams = Type.Object({ bedId: Type.String({ maxLength: 128 }) });
const BedLabelRequest = Type.Object(
  { label: Type.String({ minLength: 1, maxLength: 40 }) },
  { additionalProperties: false },
);

/**
 * An organisation's places, managed live by its admins: sites (a care home, a virtual-ward hub),
 * their wards and the wards' beds. Closing hides a place from lists and admissions; its history
 * stays. Another organisation's places answer 404, as if absent.
 */
export async function placeRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const ctx = app.wardline;
  const { places, audit, bedChanges, wards } = ctx;
  const admin = requireRole(...ROLES.admin);

  function siteOfOrganisation(organisationId: string, siteId: string): Site {
    const site = places.site(siteId);
    if (!site || site.organisationId !== organisationId) throw new Errors.notFound('site');
    return site;
  }
  function bedOfOrganisation(organisationId: string, bedId: string) {
    const bed = places.bedScope(bedId);
    if (!bed || bed.organisationId !== organisationId) throw new Errors.notFound('bed');
    return bed;
  }

  app.get(
    '/api/sites',
    {
      onRequest: admin,
      schema: { querystring: Type.Object({ includeClosed: Type.Optional(Type.Boolean()) }) },
    },
    async (request): Promise<Site[]> =>
      places.listSites(organisationOf(request), request.query.includeClosed ?? false),
  );

  app.post(
    '/api/sites',
    { onRequest: admin, schema: { body: CreateSiteRequest } },
    async (request, reply): Promise<Site> => {
      const site = places.createSite(organisationOf(request), request.body);
      if (!site) throw new Errors.conflict(`site code ${request.body.code} is already in use`);
      audit.record(request, { action: 'site.create', targetType: 'site', targetId: site.id });
      reply.code(201);
      return site;
    },
  );

  app.patch(
    '/api/sites/:siteId',
    { onRequest: admin, schema: { params: SiteParams, body: RenameRequest } },
    async (request): Promise<Site> => {
      const site = siteOfOrganisation(organisationOf(request), request.params.siteId);
      places.renameSite(site.id, request.body.name);
      audit.record(request, { action: 'site.rename', targetType: 'site', targetId: site.id });
      return places.site(site.id)!;
    },
  );

  app.post(
    '/api/sites/:siteId/close',
    { onRequest: admin, schema: { params: SiteParams } },
    async (request): Promise<Site> => {
      const site = siteOfOrganisation(organisationOf(request), request.params.siteId);
      ctx.db.transaction(() => {
        if (places.siteOccupancy(site.id) > 0)
          throw new Errors.conflict('the site still has patients in its beds: discharge them first');
        places.closeSite(site.id, new Date().toISOString());
      })();
      audit.record(request, { action: 'site.close', targetType: 'site', targetId: site.id });
      return places.site(site.id)!;
    },
  );

  app.post(
    '/api/wards',
    { onRequest: admin, schema: { body: CreateWardRequest } },
    async (request, reply): Promise<Ward> => {
      const { siteId, ...ward } = request.body;
      const site = siteOfOrganisation(organisationOf(request), siteId);
      if (site.closedAt) throw new Errors.conflict('the site is closed');
      const created = places.createWard(site, ward);
      audit.record(request, {
        action: 'ward.create',
        targetType: 'ward',
        targetId: created.id,
        detail: { siteId: site.id, beds: created.bedCount },
      });
      reply.code(201);
      return created;
    },
  );

  app.patch(
    '/api/wards/:wardId',
    { onRequest: admin, schema: { params: WardParams, body: RenameRequest } },
    async (request): Promise<Ward> => {
      const ward = wardOfOrganisation(ctx, request.user!, request.params.wardId);
      places.renameWard(ward.id, request.body.name);
      audit.record(request, { action: 'ward.rename', targetType: 'ward', targetId: ward.id });
      return places.ward(ward.id)!;
    },
  );

  app.post(
    '/api/wards/:wardId/close',
    { onRequest: admin, schema: { params: WardParams } },
    async (request): Promise<Ward> => {
      const ward = wardOfOrganisation(ctx, request.user!, request.params.wardId);
      ctx.db.transaction(() => {
        if (places.wardOccupancy(ward.id) > 0)
          throw new Errors.conflict('the ward still has patients in its beds: discharge them first');
        places.closeWard(ward.id, new Date().toISOString());
      })();
      audit.record(request, { action: 'ward.close', targetType: 'ward', targetId: ward.id });
      return places.ward(ward.id)!;
    },
  );

  app.post(
    '/api/wards/:wardId/beds',
    { onRequest: admin, schema: { params: WardParams, body: CreateBedsRequest } },
    async (request, reply): Promise<Bed[]> => {
      const ward = wardOfOrganisation(ctx, request.user!, request.params.wardId);
      if (ward.closedAt) throw new Errors.conflict('the ward is closed');
      const beds = ctx.db.transaction(() => places.createBeds(ward.id, request.body.labels))();
      audit.record(request, {
        action: 'bed.create',
        targetType: 'ward',
        targetId: ward.id,
        detail: { bedIds: beds.map((b) => b.id) },
      });
      for (const bed of beds) bedChanges.announce(wards, bed.id);
      reply.code(201);
      return beds;
    },
  );

  app.get(
    '/api/wards/:wardId/bed-list',
    { onRequest: admin, schema: { params: WardParams } },
    async (request): Promise<Bed[]> => {
      const ward = wardOfOrganisation(ctx, request.user!, request.params.wardId);
      return places.bedList(ward.id);
    },
  );

  app.patch(
    '/api/beds/:bedId',
    { onRequest: admin, schema: { params: BedParams, body: BedLabelRequest } },
    async (request): Promise<Bed> => {
      const bed = bedOfOrganisation(organisationOf(request), request.params.bedId);
      places.renameBed(bed.id, request.body.label);
      audit.record(request, { action: 'bed.rename', targetType: 'bed', targetId: bed.id });
      bedChanges.announce(wards, bed.id);
      return places.bed(bed.id)!;
    },
  );

  app.post(
    '/api/beds/:bedId/close',
    { onRequest: admin, schema: { params: BedParams } },
    async (request): Promise<Bed> => {
      const bed = bedOfOrganisation(organisationOf(request), request.params.bedId);
      ctx.db.transaction(() => {
        if (wards.bedOccupant(bed.id))
          throw new Errors.conflict('the bed is occupied: discharge the patient first');
        places.closeBed(bed.id, new Date().toISOString());
      })();
      audit.record(request, { action: 'bed.close', targetType: 'bed', targetId: bed.id });
      return places.bed(bed.id)!;
    },
  );
}
