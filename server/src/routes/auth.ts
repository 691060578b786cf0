import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  AccountTokenRequest,
  LoginRequest,
  SetPasswordRequest,
  TotpCodeRequest,
  type AccountTokenInfo,
  type LoginResponse,
  type SecondFactorState,
  type SessionUser,
  type SetPasswordResponse,
  type TotpEnrolment,
} from '@wardline/protocol';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { requireRole, tokenFromHeaders } from '../auth/plugin.js';
import { clearSessionCookie, startSessionCookie } from '../auth/session-cookie.js';
import { createSignIn } from '../auth/sign-in.js';
import { hashToken, type UserRecord } from '../auth/user-repository.js';
import { Errors } from '../errors.js';
import {
  beginTotpEnrolment,
  checkTotp,
  hashAcceptablePassword,
  secondFactorFor,
} from '../staff/account-service.js';

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

export async function authRoutes(
  fastify: FastifyInstance,
  options: { secureCookies: boolean; demo?: boolean },
) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { users, signInThrottle, webMetrics, accounts, audit } = app.wardline;
  const ctx = app.wardline;
  const signIn = createSignIn(users, signInThrottle, (user, code) => checkTotp(ctx, user, code));

  /** A new session for a user whose credentials were right, as a cookie and a bearer token. */
  async function startSession(
    reply: FastifyReply,
    user: UserRecord,
  ): Promise<{ token: string; secondFactor: SecondFactorState }> {
    const secondFactor = await secondFactorFor(ctx, user);
    const token = await startSessionCookie(reply, users, user.username, {
      secure: options.secureCookies,
      secondFactor,
    });
    return { token, secondFactor };
  }

  app.post(
    '/api/auth/login',
    { schema: { body: LoginRequest } },
    async (request, reply): Promise<LoginResponse> => {
      const { username, password, totp } = request.body;
      const address = request.ip || null;
      const result = await signIn(username, password, address, totp);
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
        if (result.code === 'WL_SECOND_FACTOR_REQUIRED') throw new Errors.secondFactorRequired();
        if (result.code === 'WL_BAD_TOTP_CODE') throw new Errors.badTotpSignIn();
        throw new Errors.badCredentials();
      }
      webMetrics.signIn('success');
      request.log.info({ username, address }, 'signed in');
      const { token, secondFactor } = await startSession(reply, result.user);
      return { token, user: sessionUser(result.user), secondFactor };
    },
  );

  app.post('/api/auth/logout', async (request, reply) => {
    const token = tokenFromHeaders(request.headers, app.parseCookie);
    // Ends the session and, through the realtime hub, every live connection it opened.
    if (token) await users.endSession(token);
    clearSessionCookie(reply);
    return { ok: true };
  });

  // The dashboard's check on load: being signed out is an answer here, not an error, so a
  // signed-out browser logs no failed request. API clients keep /api/auth/me and its 401.
  app.get(
    '/api/auth/session',
    async (request): Promise<{ user: SessionUser | null; secondFactor?: SecondFactorState; demo?: true }> => {
      // A demo's data is simulated: the dashboard says so on every screen, signed in or not.
      const demo = options.demo ? { demo: true as const } : {};
      const user = request.user;
      if (!user) return { user: null, ...demo };
      return { user: sessionUser(user), secondFactor: request.sessionSecondFactor ?? 'none', ...demo };
    },
  );

  app.get(
    '/api/auth/me',
    { onRequest: requireRole('nurse', 'nurse_in_charge', 'admin', 'family', 'operator') },
    async (request): Promise<SessionUser> => {
      return sessionUser(request.user!);
    },
  );

  // The set-password page: whose link this is. The token comes in the body, never in a URL.
  app.post(
    '/api/auth/account-token/inspect',
    { schema: { body: AccountTokenRequest } },
    async (request): Promise<AccountTokenInfo> => {
      const record = await accounts.tokens.inspect(request.body.token);
      const user = record && (await users.find(record.username));
      if (!record || !user || user.disabledAt) return { valid: false };
      return {
        valid: true,
        purpose: record.purpose,
        username: user.username,
        displayName: user.displayName,
        organisationName: user.organisationId
          ? ((await accounts.organisations.get(user.organisationId))?.name ?? null)
          : null,
        expiresAt: record.expiresAt,
      };
    },
  );

  app.post(
    '/api/auth/set-password',
    { schema: { body: SetPasswordRequest } },
    async (request, reply): Promise<SetPasswordResponse> => {
      const { token, password } = request.body;
      const record = await accounts.tokens.inspect(token);
      const user = record && (await users.find(record.username));
      if (!record || !user || user.disabledAt) throw new Errors.badAccountToken();
      // Checked and hashed before the token is used, so a refused password leaves the link working.
      const hash = await hashAcceptablePassword(ctx, user, password);
      const used = await accounts.tokens.consume(token, async (r) => {
        await users.setPassword(r.username, hash);
        return r;
      });
      if (!used) throw new Errors.badAccountToken();
      await audit.record(request, {
        action: 'staff.password-set',
        targetType: 'user',
        targetId: user.username,
        detail: { purpose: used.purpose },
        organisationId: user.organisationId,
      });
      request.log.info(
        { username: user.username, purpose: used.purpose },
        'password set through a one-time link',
      );
      // With a second factor, the link alone must not sign anyone in: the user signs in with the code.
      if (user.totpEnabledAt) return { user: sessionUser(user) };
      const session = await startSession(reply, (await users.find(user.username))!);
      return { user: sessionUser(user), token: session.token, secondFactor: session.secondFactor };
    },
  );

  const signedIn = requireRole('nurse', 'nurse_in_charge', 'admin', 'family', 'operator');

  app.post('/api/auth/totp/enrol', { onRequest: signedIn }, async (request): Promise<TotpEnrolment> => {
    const user = (await users.find(request.user!.username))!;
    if (user.passwordHash === null) throw new Errors.forbidden();
    const enrolment = await beginTotpEnrolment(ctx, user);
    await audit.record(request, { action: 'staff.totp-enrol', targetType: 'user', targetId: user.username });
    return enrolment;
  });

  app.post(
    '/api/auth/totp/confirm',
    { onRequest: signedIn, schema: { body: TotpCodeRequest } },
    async (request): Promise<{ ok: true; secondFactor: SecondFactorState }> => {
      const user = (await users.find(request.user!.username))!;
      if (user.totpEnabledAt) throw new Errors.conflict('a second factor is set up already');
      if (!(await checkTotp(ctx, user, request.body.code))) throw new Errors.badTotpCode();
      await users.enableTotp(user.username);
      const token = tokenFromHeaders(request.headers, app.parseCookie);
      if (token) await users.setSessionSecondFactor(hashToken(token), 'totp');
      await audit.record(request, {
        action: 'staff.totp-confirm',
        targetType: 'user',
        targetId: user.username,
      });
      request.log.info({ username: user.username }, 'second factor set up');
      return { ok: true, secondFactor: 'totp' };
    },
  );
}
