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
  const { users, signInThrottle, audit } = app.wardline;
  const admin = requireRole('admin');

  /** Whether a name tried at sign-in may be shown to this admin: not another organisation's user. */
  const nameVisible = (request: FastifyRequest, username: string) => {
    const user = users.find(username);
    return !user || user.organisationId === organisationOf(request);
  };
  /** A user of the admin's organisation, or 404. */
  const member = (request: FastifyRequest, username: string) => {
    const user = users.find(username);
    if (!user || user.organisationId !== organisationOf(request)) throw new Errors.notFound('user');
    return user;
  };

  app.get('/api/admin/sign-in-locks', { onRequest: admin }, async (request): Promise<SignInLock[]> =>
    signInThrottle.locks().filter((lock) => lock.kind === 'address' || nameVisible(request, lock.subject)),
  );

  app.delete(
    '/api/admin/sign-in-locks/:username',
    { onRequest: admin, schema: { params: UsernameParams } },
    async (request, reply) => {
      const { username } = request.params;
      if (!nameVisible(request, username) || !signInThrottle.lift('user', username))
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
      if (!signInThrottle.lift('address', address)) throw new Errors.notFound('sign-in lock');
      request.log.info({ address, by: request.user!.username }, 'sign-in lock lifted');
      reply.code(204);
    },
  );

  app.get(
    '/api/admin/sign-in-events',
    { onRequest: admin, schema: { querystring: SignInEventQuery } },
    async (request): Promise<SignInEvent[]> =>
      signInThrottle.events(request.query).filter((event) => nameVisible(request, event.username)),
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
      const user = member(request, username);
      if (username === by) throw new Errors.conflict('you cannot disable your own account');
      if (user.role === 'admin' && !user.disabledAt && users.activeAdmins(user.organisationId!).length <= 1)
        throw new Errors.conflict(
          'this is the last active admin of the organisation: make someone else admin first',
        );
      // Ends the user's sessions; the realtime hub cuts their live connections at once.
      users.disable(username);
      audit.record(request, { action: 'staff.disable', targetType: 'user', targetId: username });
      request.log.info({ username, by }, 'user disabled');
      return users.account(username)!;
    },
  );

  app.post(
    '/api/users/:username/enable',
    { onRequest: admin, schema: { params: UsernameParams } },
    async (request): Promise<UserAccount> => {
      const { username } = request.params;
      member(request, username);
      users.enable(username);
      audit.record(request, { action: 'staff.enable', targetType: 'user', targetId: username });
      request.log.info({ username, by: request.user!.username }, 'user enabled');
      return users.account(username)!;
    },
  );
}
