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

  async function siteOfOrganisation(organisationId: string, siteId: string): Promise<Site> {
    const site = await places.site(siteId);
    if (!site || site.organisationId !== organisationId) throw new Errors.notFound('site');
    return site;
  }
  async function bedOfOrganisation(organisationId: string, bedId: string) {
    const bed = await places.bedScope(bedId);
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
      await places.listSites(organisationOf(request), request.query.includeClosed ?? false),
  );

  app.post(
    '/api/sites',
    { onRequest: admin, schema: { body: CreateSiteRequest } },
    async (request, reply): Promise<Site> => {
      const site = await places.createSite(organisationOf(request), request.body);
      if (!site) throw new Errors.conflict(`site code ${request.body.code} is already in use`);
      await audit.record(request, { action: 'site.create', targetType: 'site', targetId: site.id });
      reply.code(201);
      return site;
    },
  );

  app.patch(
    '/api/sites/:siteId',
    { onRequest: admin, schema: { params: SiteParams, body: RenameRequest } },
    async (request): Promise<Site> => {
      const site = await siteOfOrganisation(organisationOf(request), request.params.siteId);
      await places.renameSite(site.id, request.body.name);
      await audit.record(request, { action: 'site.rename', targetType: 'site', targetId: site.id });
      return (await places.site(site.id))!;
    },
  );

  app.post(
    '/api/sites/:siteId/close',
    { onRequest: admin, schema: { params: SiteParams } },
    async (request): Promise<Site> => {
      const site = await siteOfOrganisation(organisationOf(request), request.params.siteId);
      // Closed first, then counted: the closing holds the beds (see holdOpenBed), so an admission
      // on another replica either comes before and is counted, or after and finds the bed closed.
      await ctx.sql.transaction(async () => {
        await places.closeSite(site.id, new Date().toISOString());
        if ((await places.siteOccupancy(site.id)) > 0)
          throw new Errors.conflict('the site still has patients in its beds: discharge them first');
      });
      await audit.record(request, { action: 'site.close', targetType: 'site', targetId: site.id });
      return (await places.site(site.id))!;
    },
  );

  app.post(
    '/api/wards',
    { onRequest: admin, schema: { body: CreateWardRequest } },
    async (request, reply): Promise<Ward> => {
      const { siteId, ...ward } = request.body;
      const site = await siteOfOrganisation(organisationOf(request), siteId);
      if (site.closedAt) throw new Errors.conflict('the site is closed');
      const created = await places.createWard(site, ward);
      await audit.record(request, {
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
      const ward = await wardOfOrganisation(ctx, request.user!, request.params.wardId);
      await places.renameWard(ward.id, request.body.name);
      await audit.record(request, { action: 'ward.rename', targetType: 'ward', targetId: ward.id });
      return (await places.ward(ward.id))!;
    },
  );

  app.post(
    '/api/wards/:wardId/close',
    { onRequest: admin, schema: { params: WardParams } },
    async (request): Promise<Ward> => {
      const ward = await wardOfOrganisation(ctx, request.user!, request.params.wardId);
      await ctx.sql.transaction(async () => {
        await places.closeWard(ward.id, new Date().toISOString());
        if ((await places.wardOccupancy(ward.id)) > 0)
          throw new Errors.conflict('the ward still has patients in its beds: discharge them first');
      });
      await audit.record(request, { action: 'ward.close', targetType: 'ward', targetId: ward.id });
      return (await places.ward(ward.id))!;
    },
  );

  app.post(
    '/api/wards/:wardId/beds',
    { onRequest: admin, schema: { params: WardParams, body: CreateBedsRequest } },
    async (request, reply): Promise<Bed[]> => {
      const ward = await wardOfOrganisation(ctx, request.user!, request.params.wardId);
      if (ward.closedAt) throw new Errors.conflict('the ward is closed');
      const beds = await ctx.sql.transaction(() => places.createBeds(ward.id, request.body.labels));
      await audit.record(request, {
        action: 'bed.create',
        targetType: 'ward',
        targetId: ward.id,
        detail: { bedIds: beds.map((b) => b.id) },
      });
      for (const bed of beds) await bedChanges.announce(wards, bed.id);
      reply.code(201);
      return beds;
    },
  );

  app.get(
    '/api/wards/:wardId/bed-list',
    { onRequest: admin, schema: { params: WardParams } },
    async (request): Promise<Bed[]> => {
      const ward = await wardOfOrganisation(ctx, request.user!, request.params.wardId);
      return await places.bedList(ward.id);
    },
  );

  app.patch(
    '/api/beds/:bedId',
    { onRequest: admin, schema: { params: BedParams, body: BedLabelRequest } },
    async (request): Promise<Bed> => {
      const bed = await bedOfOrganisation(organisationOf(request), request.params.bedId);
      await places.renameBed(bed.id, request.body.label);
      await audit.record(request, { action: 'bed.rename', targetType: 'bed', targetId: bed.id });
      await bedChanges.announce(wards, bed.id);
      return (await places.bed(bed.id))!;
    },
  );

  app.post(
    '/api/beds/:bedId/close',
    { onRequest: admin, schema: { params: BedParams } },
    async (request): Promise<Bed> => {
      const bed = await bedOfOrganisation(organisationOf(request), request.params.bedId);
      await ctx.sql.transaction(async () => {
        await places.closeBed(bed.id, new Date().toISOString());
        if (await wards.bedOccupant(bed.id))
          throw new Errors.conflict('the bed is occupied: discharge the patient first');
      });
      await audit.record(request, { action: 'bed.close', targetType: 'bed', targetId: bed.id });
      return (await places.bed(bed.id))!;
    },
  );
}
