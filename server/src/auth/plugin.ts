import fastifyCookie from '@fastify/cookie';
import { SESSION_COOKIE, type Role, type SecondFactorState } from '@wardline/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Errors } from '../errors.js';
import type { AuthenticatedUser } from './user-repository.js';

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthenticatedUser | null;
    /** The session's second-factor state; null when not signed in. */
    sessionSecondFactor: SecondFactorState | null;
  }
}

/**
 * What a session that must first enrol a second factor may still do: look at itself, enrol,
 * confirm, sign out. Everything else under /api and /fhir is refused until it has.
 */
const ENROLMENT_ROUTES = new Set([
  'GET /api/auth/session',
  'GET /api/auth/me',
  'POST /api/auth/logout',
  'POST /api/auth/totp/enrol',
  'POST /api/auth/totp/confirm',
]);

/** A bearer token (API clients) or the session cookie (the dashboard). */
export function tokenFromHeaders(
  headers: { authorization?: string | undefined; cookie?: string | undefined },
  parseCookie: (header: string) => Record<string, string | undefined>,
): string | undefined {
  const auth = headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim();
  if (headers.cookie) return parseCookie(headers.cookie)[SESSION_COOKIE];
  return undefined;
}

export const authPlugin = fp(
  async (app: FastifyInstance) => {
    await app.register(fastifyCookie);
    app.decorateRequest('user', null);
    app.decorateRequest('sessionSecondFactor', null);
    app.addHook('onRequest', async (request) => {
      const token = tokenFromHeaders(request.headers, app.parseCookie);
      const session = token ? await app.wardline.users.sessionForToken(token) : undefined;
      request.user = session?.user ?? null;
      request.sessionSecondFactor = session?.secondFactor ?? null;
      if (session?.secondFactor !== 'enrol-required') return;
      const path = request.url.split('?')[0]!;
      if (!/^\/(api|fhir)\//.test(path)) return;
      if (!ENROLMENT_ROUTES.has(`${request.method} ${path}`))
        throw new Errors.secondFactorEnrolmentRequired();
    });
  },
  { name: 'wardline-auth', dependencies: ['wardline-context'] },
);

/** onRequest (before body and schema validation): the caller must be signed in with one of these roles. */
export function requireRole(...roles: Role[]) {
  return async (request: FastifyRequest): Promise<void> => {
    if (!request.user) throw new Errors.unauthenticated();
    if (!roles.includes(request.user.role)) throw new Errors.forbidden();
  };
}

/** Staff see every patient; a family member sees only their own relative. */
export function canSeePatient(user: AuthenticatedUser, patientId: string): boolean {
  return user.role !== 'family' || user.patientId === patientId;
}
