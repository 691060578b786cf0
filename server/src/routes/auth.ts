import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { LoginRequest, SESSION_COOKIE, type LoginResponse, type SessionUser } from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import { requireRole, tokenFromHeaders } from '../auth/plugin.js';
import { createSignIn } from '../auth/sign-in.js';
import { SESSION_HOURS } from '../auth/user-repository.js';
import { Errors } from '../errors.js';

/** What a client is told about who is signed in: never the hash, nor the family member's relative. */
export function sessionUser(user: SessionUser): SessionUser {
  return {
    username: user.username,
    role: user.role,
    displayName: user.displayName,
    organisationId: user.organisationId,
    wardIds: user.wardIds,
  };
}

export async function authRoutes(fastify: FastifyInstance, options: { secureCookies: boolean }) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { users, signInThrottle, webMetrics } = app.wardline;
  const signIn = createSignIn(users, signInThrottle);

  app.post(
    '/api/auth/login',
    { schema: { body: LoginRequest } },
    async (request, reply): Promise<LoginResponse> => {
      const { username, password } = request.body;
      const address = request.ip || null;
      const result = await signIn(username, password, address);
      // A user name is staff identity, not patient data: the log says who was tried, from where.
      if (!result.ok) {
        webMetrics.signIn(result.code === 'WL_SIGN_IN_LOCKED' ? 'locked' : 'failure');
        webMetrics.refuse(result.code);
        request.log.warn({ code: result.code, username, address }, 'sign-in refused');
        if (result.code === 'WL_SIGN_IN_LOCKED') {
          const seconds = Math.ceil(result.retryAfterMs / 1000);
          reply.header('retry-after', String(seconds));
          throw new Errors.signInLocked(seconds);
        }
        if (result.code === 'WL_ACCOUNT_DISABLED') throw new Errors.accountDisabled();
        throw new Errors.badCredentials();
      }
      webMetrics.signIn('success');
      request.log.info({ username, address }, 'signed in');
      const { user } = result;
      const token = users.createSession(user.username);
      reply.setCookie(SESSION_COOKIE, token, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: options.secureCookies,
        maxAge: SESSION_HOURS * 3600,
      });
      return {
        token,
        user: sessionUser(user),
      };
    },
  );

  app.post('/api/auth/logout', async (request, reply) => {
    const token = tokenFromHeaders(request.headers, app.parseCookie);
    // Ends the session and, through the realtime hub, every live connection it opened.
    if (token) users.endSession(token);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  // The dashboard's check on load: being signed out is an answer here, not an error, so a
  // signed-out browser logs no failed request. API clients keep /api/auth/me and its 401.
  app.get('/api/auth/session', async (request): Promise<{ user: SessionUser | null }> => {
    const user = request.user;
    return { user: user && sessionUser(user) };
  });

  app.get(
    '/api/auth/me',
    { onRequest: requireRole('nurse', 'admin', 'family') },
    async (request): Promise<SessionUser> => {
      return sessionUser(request.user!);
    },
  );
}
