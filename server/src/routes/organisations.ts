import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  CreateOrganisationRequest,
  UpdateOrganisationRequest,
  type CreateOrganisationResponse,
  type Organisation,
} from '@wardline/protocol';
import Type from 'typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ROLES } from '../auth/access.js';
import { requireRole } from '../auth/plugin.js';
import { Errors } from '../errors.js';
import { createInvitedAccount, issueAccountLink } from '../staff/account-service.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

/**
 * Organisations: an operator (who runs the server and sees no clinical record) creates them with
 * the invitation of their first admin, renames and closes them; an organisation's admin renames
 * it and sets whether its admins need a second factor. Others see only their own.
 */
export async function organisationRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const ctx = app.wardline;
  const { users, audit, accounts } = ctx;
  const { organisations } = accounts;
  const operator = requireRole(...ROLES.operator);

  /** The organisation as the user may see it: any for an operator, their own for others, else 404. */
  async function visible(request: FastifyRequest, id: string): Promise<Organisation> {
    const user = request.user!;
    const organisation = await organisations.get(id);
    if (!organisation || (user.role !== 'operator' && user.organisationId !== id))
      throw new Errors.notFound('organisation');
    return organisation;
  }

  app.get(
    '/api/organisations',
    { onRequest: requireRole('operator', 'admin', 'nurse_in_charge', 'nurse') },
    async (request): Promise<Organisation[]> => {
      const user = request.user!;
      if (user.role === 'operator') return organisations.list();
      const own = user.organisationId ? await organisations.get(user.organisationId) : undefined;
      return own ? [own] : [];
    },
  );

  app.post(
    '/api/organisations',
    { onRequest: operator, schema: { body: CreateOrganisationRequest } },
    async (request, reply): Promise<CreateOrganisationResponse> => {
      const { name, admin } = request.body;
      const by = request.user!.username;
      const organisation = await organisations.create(name);
      const username = await createInvitedAccount(ctx, {
        role: 'admin',
        displayName: admin.displayName,
        email: admin.email,
        organisationId: organisation.id,
        createdBy: by,
      });
      const invitation = await issueAccountLink(ctx, {
        username,
        purpose: 'invite',
        by,
        sendEmail: true,
        publicUrl: app.publicUrl(),
        log: request.log,
      });
      const target = {
        targetType: 'organisation',
        targetId: organisation.id,
        organisationId: organisation.id,
      };
      await audit.record(request, { action: 'organisation.create', ...target });
      await audit.record(request, {
        action: 'staff.invite',
        targetType: 'user',
        targetId: username,
        organisationId: organisation.id,
        detail: { role: 'admin', emailed: invitation.emailed },
      });
      request.log.info({ organisationId: organisation.id, admin: username, by }, 'organisation created');
      reply.code(201);
      return { organisation, admin: invitation };
    },
  );

  app.patch(
    '/api/organisations/:id',
    {
      onRequest: requireRole('operator', 'admin'),
      schema: { params: IdParams, body: UpdateOrganisationRequest },
    },
    async (request): Promise<Organisation> => {
      const organisation = await visible(request, request.params.id);
      const change = request.body;
      // The operator names organisations; whether admins need a second factor is the organisation's call.
      if (request.user!.role === 'operator' && change.requireAdminTotp !== undefined)
        throw new Errors.forbidden();
      const updated = (await organisations.update(organisation.id, change))!;
      await audit.record(request, {
        action: 'organisation.update',
        targetType: 'organisation',
        targetId: organisation.id,
        organisationId: organisation.id,
        detail: {
          fields: Object.keys(change),
          ...(change.requireAdminTotp !== undefined ? { requireAdminTotp: change.requireAdminTotp } : {}),
        },
      });
      return updated;
    },
  );

  app.post(
    '/api/organisations/:id/close',
    { onRequest: operator, schema: { params: IdParams } },
    async (request): Promise<Organisation> => {
      const organisation = await visible(request, request.params.id);
      const closed = (await organisations.close(organisation.id))!;
      // Nobody of a closed organisation signs in any more; their sessions and sockets end now.
      for (const account of await users.accountsOf(organisation.id)) await users.disable(account.username);
      await audit.record(request, {
        action: 'organisation.close',
        targetType: 'organisation',
        targetId: organisation.id,
        organisationId: organisation.id,
      });
      return closed;
    },
  );
}
