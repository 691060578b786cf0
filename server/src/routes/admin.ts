import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  AddressParams,
  SignInEventQuery,
  UsernameParams,
  type SignInEvent,
  type SignInLock,
  type UserAccount,
} from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import { requireRole } from '../auth/plugin.js';
import { Errors } from '../errors.js';

/** Account administration: sign-in locks and the sign-in record, disabling and enabling users. */
export async function adminRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { users, signInThrottle } = app.wardline;
  const admin = requireRole('admin');

  app.get('/api/admin/sign-in-locks', { onRequest: admin }, async (): Promise<SignInLock[]> =>
    signInThrottle.locks(),
  );

  app.delete(
    '/api/admin/sign-in-locks/:username',
    { onRequest: admin, schema: { params: UsernameParams } },
    async (request, reply) => {
      const { username } = request.params;
      if (!signInThrottle.lift('user', username)) throw new Errors.notFound('sign-in lock');
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
    async (request): Promise<SignInEvent[]> => signInThrottle.events(request.query),
  );

  app.get('/api/users', { onRequest: admin }, async (): Promise<UserAccount[]> => users.list());

  app.post(
    '/api/users/:username/disable',
    { onRequest: admin, schema: { params: UsernameParams } },
    async (request): Promise<UserAccount> => {
      const { username } = request.params;
      const by = request.user!.username;
      if (username === by) throw new Errors.conflict('you cannot disable your own account');
      // Ends the user's sessions; the realtime hub cuts their live connections at once.
      if (!users.disable(username)) throw new Errors.notFound('user');
      request.log.info({ username, by }, 'user disabled');
      return users.account(username)!;
    },
  );

  app.post(
    '/api/users/:username/enable',
    { onRequest: admin, schema: { params: UsernameParams } },
    async (request): Promise<UserAccount> => {
      const { username } = request.params;
      if (!users.enable(username)) throw new Errors.notFound('user');
      request.log.info({ username, by: request.user!.username }, 'user enabled');
      return users.account(username)!;
    },
  );
}
