import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { verifyPassword } from '@wardline/broker';
import { LoginRequest, SESSION_COOKIE, type LoginResponse, type SessionUser } from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import { requireRole } from '../auth/plugin.js';
import { tokenFromHeaders } from '../auth/plugin.js';
import { Errors } from '../errors.js';

export async function authRoutes(fastify: FastifyInstance, options: { secureCookies: boolean }) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { users } = app.wardline;

  app.post(
    '/api/auth/login',
    { schema: { body: LoginRequest } },
    async (request, reply): Promise<LoginResponse> => {
      const record = users.find(request.body.username);
      const valid = record ? await verifyPassword(request.body.password, record.passwordHash) : false;
      if (!record || !valid) {
        request.log.warn({ code: 'WL_BAD_CREDENTIALS' }, 'sign-in refused');
        throw new Errors.badCredentials();
      }
      const token = users.createSession(record.username);
      reply.setCookie(SESSION_COOKIE, token, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: options.secureCookies,
        maxAge: 12 * 3600,
      });
      return {
        token,
        user: { username: record.username, role: record.role, displayName: record.displayName },
      };
    },
  );

  app.post('/api/auth/logout', async (request, reply) => {
    const token = tokenFromHeaders(request.headers, app.parseCookie);
    if (token) users.endSession(token);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  app.get(
    '/api/auth/me',
    { onRequest: requireRole('nurse', 'admin', 'family') },
    async (request): Promise<SessionUser> => {
      const user = request.user!;
      return { username: user.username, role: user.role, displayName: user.displayName };
    },
  );
}
