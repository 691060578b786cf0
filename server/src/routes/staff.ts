import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  InviteStaffRequest,
  UpdateStaffRequest,
  UsernameParams,
  type AccountLinkResponse,
  type StaffAccount,
} from '@wardline/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { organisationOf } from '../auth/access.js';
import { requireRole } from '../auth/plugin.js';
import type { UserRecord } from '../auth/user-repository.js';
import { Errors } from '../errors.js';
import { createInvitedAccount, issueAccountLink, staffAccount } from '../staff/account-service.js';

/** A staff member of an organisation (not an operator: operators belong to none). */
type Member = UserRecord & { organisationId: string };

/**
 * An organisation's staff, managed by its admins: invite (a one-time link by e-mail, or handed
 * over), roles and wards, disable and enable, password and second-factor resets. Accounts of other
 * organisations are answered 404, as if absent.
 */
export async function staffRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const ctx = app.wardline;
  const { users, audit, sql } = ctx;
  const admin = requireRole('admin');

  /** A staff member of the admin's own organisation, or 404. */
  async function member(request: FastifyRequest, username: string): Promise<Member> {
    const organisationId = organisationOf(request);
    const user = await users.find(username);
    if (!user || user.organisationId !== organisationId || user.role === 'family')
      throw new Errors.notFound('staff member');
    return user as Member;
  }

  async function checkWards(organisationId: string, wardIds: string[] | null | undefined) {
    for (const wardId of wardIds ?? []) {
      const ward = await sql.get<{ organisationId: string | null }>(
        `SELECT organisation_id AS "organisationId" FROM wards WHERE id = ?`,
        [wardId],
      );
      if (!ward || ward.organisationId !== organisationId)
        throw new Errors.badRequest(`no ward ${wardId} in this organisation`);
    }
  }

  /**
   * The last enabled admin of an organisation may not be disabled or demoted: nobody could manage
   * it. `change` runs in the same transaction as the check, after the organisation's row is locked
   * (a no-op UPDATE), so that two admins on different replicas cannot disable each other at once.
   */
  async function keepingAnAdmin(user: Member, change: () => Promise<void>): Promise<void> {
    await sql.transaction(async () => {
      await sql.run(`UPDATE organisations SET name = name WHERE id = ?`, [user.organisationId]);
      const now = await users.find(user.username);
      if (now?.role === 'admin' && !now.disabledAt) {
        const admins = await users.activeAdmins(user.organisationId);
        if (admins.length <= 1 && admins.includes(user.username))
          throw new Errors.conflict(
            'this is the last active admin of the organisation: make someone else admin first',
          );
      }
      await change();
    });
  }

  /** Whether new ward limits take away a ward the user could see (null: every ward). */
  const narrows = (before: string[] | null, after: string[] | null) =>
    after !== null && (before === null || before.some((ward) => !after.includes(ward)));

  const audited = (
    request: FastifyRequest,
    action: string,
    username: string,
    detail?: Record<string, unknown>,
  ) =>
    audit.record(request, { action, targetType: 'user', targetId: username, ...(detail ? { detail } : {}) });

  /** An admin's action on one member of their organisation, audited; answers the account as it now is. */
  function onMember(
    method: 'POST' | 'DELETE',
    path: string,
    action: string,
    act: (user: Member, request: FastifyRequest) => Promise<void>,
  ) {
    app.route({
      method,
      url: `/api/staff/:username${path}`,
      onRequest: admin,
      schema: { params: UsernameParams },
      handler: async (request): Promise<StaffAccount> => {
        const user = await member(request, request.params.username);
        await act(user, request);
        await audited(request, action, user.username);
        return staffAccount(ctx, user.username, user.organisationId);
      },
    });
  }

  app.get('/api/staff', { onRequest: admin }, async (request): Promise<StaffAccount[]> =>
    users.staff(organisationOf(request)),
  );

  app.post(
    '/api/staff',
    { onRequest: admin, schema: { body: InviteStaffRequest } },
    async (request, reply): Promise<AccountLinkResponse> => {
      const organisationId = organisationOf(request);
      const { email, displayName, role, wardIds, sendEmail } = request.body;
      await checkWards(organisationId, wardIds);
      const by = request.user!.username;
      const username = await createInvitedAccount(ctx, {
        role,
        displayName,
        email,
        organisationId,
        wardIds: wardIds ?? null,
        createdBy: by,
      });
      const response = await issueAccountLink(ctx, {
        username,
        purpose: 'invite',
        by,
        sendEmail: sendEmail ?? true,
        publicUrl: app.publicUrl(),
        log: request.log,
      });
      await audited(request, 'staff.invite', username, {
        role,
        emailed: response.emailed,
        wardLimited: !!wardIds,
      });
      request.log.info({ username, role, by, emailed: response.emailed }, 'staff invited');
      reply.code(201);
      return response;
    },
  );

  app.patch(
    '/api/staff/:username',
    { onRequest: admin, schema: { params: UsernameParams, body: UpdateStaffRequest } },
    async (request): Promise<StaffAccount> => {
      const user = await member(request, request.params.username);
      const change = request.body;
      await checkWards(user.organisationId, change.wardIds);
      if (change.role !== undefined && change.role !== user.role)
        await keepingAnAdmin(user, () => users.updateStaff(user.username, change));
      else await users.updateStaff(user.username, change);
      // Roles and wards are read afresh on every request, so the change holds at once without
      // signing anyone out (a wallboard signed out stops showing alerts). Only live connections that
      // may carry a ward no longer allowed are cut; the dashboard reconnects with the new wards.
      if (change.role !== undefined && change.role !== user.role)
        await audited(request, 'staff.role-change', user.username, { from: user.role, to: change.role });
      const fields = Object.keys(change).filter((field) => field !== 'role');
      if (fields.length > 0) await audited(request, 'staff.update', user.username, { fields });
      if (change.wardIds !== undefined && narrows(user.wardIds, change.wardIds))
        users.cutLiveConnections(user.username);
      return staffAccount(ctx, user.username, user.organisationId);
    },
  );

  onMember('POST', '/disable', 'staff.disable', async (user, request) => {
    if (user.username === request.user!.username)
      throw new Errors.conflict('you cannot disable your own account');
    // Ends the user's sessions; the realtime hub cuts their live connections at once.
    await keepingAnAdmin(user, async () => {
      await users.disable(user.username);
    });
    await ctx.accounts.tokens.voidFor(user.username);
    request.log.info({ username: user.username, by: request.user!.username }, 'user disabled');
  });

  onMember('POST', '/enable', 'staff.enable', async (user, request) => {
    await users.enable(user.username);
    request.log.info({ username: user.username, by: request.user!.username }, 'user enabled');
  });

  // A reset stops the old password and every session at once (the usual reason is a lost or
  // exposed password); the account is then pending until the new link is used.
  app.post(
    '/api/staff/:username/reset-password',
    { onRequest: admin, schema: { params: UsernameParams } },
    async (request): Promise<AccountLinkResponse> => {
      const user = await member(request, request.params.username);
      if (user.disabledAt) throw new Errors.conflict('enable the account before resetting its password');
      // An account that never set a password gets its invitation again (a week), not an hour's reset.
      const purpose =
        user.passwordHash === null && (await ctx.accounts.tokens.neverSetUp(user.username))
          ? 'invite'
          : 'reset';
      await users.clearPassword(user.username);
      await users.endUserSessions(user.username);
      const response = await issueAccountLink(ctx, {
        username: user.username,
        purpose,
        by: request.user!.username,
        sendEmail: true,
        publicUrl: app.publicUrl(),
        log: request.log,
      });
      await audited(request, 'staff.reset', user.username, { purpose, emailed: response.emailed });
      return response;
    },
  );

  onMember('DELETE', '/totp', 'staff.totp-reset', async (user) => {
    if (!(await users.clearTotp(user.username))) throw new Errors.notFound('staff member');
    await users.endUserSessions(user.username);
  });
}
