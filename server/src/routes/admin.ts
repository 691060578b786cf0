import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  AddressParams,
  SignInEventQuery,
  UsernameParams,
  type SignInEvent,
  type SignInLock,
  type UserAccount,
} from '@wardline/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { organisationOf } from '../auth/access.js';
import { requireRole } from '../auth/plugin.js';
import { Errors } from '../errors.js';

/**
 * Account administration: sign-in locks and the sign-in record, disabling and enabling users (the
 * older /api/users; /api/staff has more). All of it within the admin's organisation: names of
 * another organisation's users are neither shown nor touched.
 */
export async function adminRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { users, signInThrottle, audit, sql } = app.wardline;
  const admin = requireRole('admin');

  /** Whether a name tried at sign-in may be shown to this admin: not another organisation's user. */
  const nameVisible = async (request: FastifyRequest, username: string) => {
    const user = await users.find(username);
    return !user || user.organisationId === organisationOf(request);
  };
  /** A user of the admin's organisation, or 404. */
  const member = async (request: FastifyRequest, username: string) => {
    const user = await users.find(username);
    if (!user || user.organisationId !== organisationOf(request)) throw new Errors.notFound('user');
    return user;
  };

  app.get('/api/admin/sign-in-locks', { onRequest: admin }, async (request): Promise<SignInLock[]> =>
    visibleOnly(
      await signInThrottle.locks(),
      (lock) => lock.kind === 'address' || nameVisible(request, lock.subject),
    ),
  );

  app.delete(
    '/api/admin/sign-in-locks/:username',
    { onRequest: admin, schema: { params: UsernameParams } },
    async (request, reply) => {
      const { username } = request.params;
      if (!(await nameVisible(request, username)) || !(await signInThrottle.lift('user', username)))
        throw new Errors.notFound('sign-in lock');
      request.log.info({ username, by: request.user!.username }, 'sign-in lock lifted');
      reply.code(204);
    },
  );

  app.delete(
    '/api/admin/sign-in-locks/addresses/:address',
    { onRequest: admin, schema: { params: AddressParams } },
    async (request, reply) => {
      const { address } = request.params;
      if (!(await signInThrottle.lift('address', address))) throw new Errors.notFound('sign-in lock');
      request.log.info({ address, by: request.user!.username }, 'sign-in lock lifted');
      reply.code(204);
    },
  );

  app.get(
    '/api/admin/sign-in-events',
    { onRequest: admin, schema: { querystring: SignInEventQuery } },
    async (request): Promise<SignInEvent[]> =>
      visibleOnly(await signInThrottle.events(request.query), (event) =>
        nameVisible(request, event.username),
      ),
  );

  app.get('/api/users', { onRequest: admin }, async (request): Promise<UserAccount[]> =>
    users.accountsOf(organisationOf(request)),
  );

  app.post(
    '/api/users/:username/disable',
    { onRequest: admin, schema: { params: UsernameParams } },
    async (request): Promise<UserAccount> => {
      const { username } = request.params;
      const by = request.user!.username;
      const user = await member(request, username);
      if (username === by) throw new Errors.conflict('you cannot disable your own account');
      // The organisation's row is locked first (a no-op UPDATE): two admins on different replicas
      // cannot disable each other at once.
      await sql.transaction(async () => {
        await sql.run(`UPDATE organisations SET name = name WHERE id = ?`, [user.organisationId]);
        const now = await users.find(username);
        if (
          now?.role === 'admin' &&
          !now.disabledAt &&
          (await users.activeAdmins(user.organisationId!)).length <= 1
        )
          throw new Errors.conflict(
            'this is the last active admin of the organisation: make someone else admin first',
          );
        // Ends the user's sessions; the realtime hub cuts their live connections at once.
        await users.disable(username);
      });
      await audit.record(request, { action: 'staff.disable', targetType: 'user', targetId: username });
      request.log.info({ username, by }, 'user disabled');
      return (await users.account(username))!;
    },
  );

  app.post(
    '/api/users/:username/enable',
    { onRequest: admin, schema: { params: UsernameParams } },
    async (request): Promise<UserAccount> => {
      const { username } = request.params;
      await member(request, username);
      await users.enable(username);
      await audit.record(request, { action: 'staff.enable', targetType: 'user', targetId: username });
      request.log.info({ username, by: request.user!.username }, 'user enabled');
      return (await users.account(username))!;
    },
  );
}

/** The items a predicate that reads the records keeps, in order. */
async function visibleOnly<T>(items: T[], visible: (item: T) => Promise<boolean> | boolean): Promise<T[]> {
  const kept: T[] = [];
  for (const item of items) if (await visible(item)) kept.push(item);
  return kept;
}
