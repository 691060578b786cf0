import type { OidcSignInError, SignInProvider } from '@wardline/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { mapClaims } from '../auth/oidc/claims.js';
import type { OidcProviderConfig } from '../auth/oidc/config.js';
import { createRelyingParty, PENDING_TTL_MS, type VerifiedIdentity } from '../auth/oidc/relying-party.js';
import { startSessionCookie } from '../auth/session-cookie.js';

/** Holds only a random handle to the pending sign-in kept on the server. */
export const OIDC_PENDING_COOKIE = 'wardline_oidc';
const CALLBACK_PATH = '/api/auth/oidc';

export interface OidcRouteOptions {
  providers: OidcProviderConfig[];
  secureCookies: boolean;
}

/**
 * Single sign-on with OpenID Connect: the sign-in screen's provider buttons, the redirect to the
 * identity provider and its callback, which signs the person in exactly as a password does (the
 * same session cookie) or sends them back to the sign-in screen with a reason.
 */
export async function oidcRoutes(app: FastifyInstance, options: OidcRouteOptions) {
  const { users, audit, sql, webMetrics } = app.wardline;
  const parties = new Map(options.providers.map((p) => [p.id, createRelyingParty(p)]));
  const openOrganisation = (id: string) =>
    sql.get(`SELECT 1 AS open FROM organisations WHERE id = ? AND closed_at IS NULL`, [id]);
  const redirectUri = (id: string) => `${app.publicUrl()}${CALLBACK_PATH}/${id}/callback`;
  const dashboard = (query = '') => `${app.publicUrl()}/${query}`;

  async function refuse(
    request: FastifyRequest,
    reply: FastifyReply,
    provider: string,
    code: OidcSignInError,
    why: { reason?: string; organisationId?: string | null } = {},
  ) {
    // Codes and the provider only: never the claims, which carry names and e-mail addresses.
    request.log.warn({ provider, code, reason: why.reason }, 'single sign-on refused');
    webMetrics.signIn('failure');
    webMetrics.refuse(code);
    await audit.record(request, {
      action: 'auth.oidc-refused',
      organisationId: why.organisationId ?? null,
      targetType: 'identity_provider',
      targetId: provider,
      detail: { provider, code },
    });
    return reply.redirect(dashboard(`?signInError=${code}`));
  }

  app.get('/api/auth/providers', async (): Promise<SignInProvider[]> =>
    options.providers.map(({ id, name }) => ({ id, name })),
  );

  app.get<{ Params: { provider: string } }>(`${CALLBACK_PATH}/:provider/start`, async (request, reply) => {
    const party = parties.get(request.params.provider);
    if (!party) return refuse(request, reply, 'unknown', 'WL_OIDC_UNKNOWN_PROVIDER');
    let started;
    try {
      started = await party.start(redirectUri(party.provider.id), request.ip);
    } catch (err) {
      return refuse(request, reply, party.provider.id, 'WL_OIDC_PROVIDER_UNAVAILABLE', {
        reason: (err as Error).message,
      });
    }
    // Lax, not Strict: the callback is a top-level navigation back from the identity provider's site.
    reply.setCookie(OIDC_PENDING_COOKIE, started.handle, {
      path: CALLBACK_PATH,
      httpOnly: true,
      sameSite: 'lax',
      secure: options.secureCookies,
      maxAge: PENDING_TTL_MS / 1000,
    });
    return reply.redirect(started.url.href);
  });

  /** The account for a verified identity: linked before, or created now from the mapped claims. */
  async function account(
    identity: VerifiedIdentity,
    provider: OidcProviderConfig,
    mapped: Extract<ReturnType<typeof mapClaims>, { ok: true }>,
  ): Promise<{ username: string; created: boolean } | { refused: OidcSignInError }> {
    const displayName = mapped.displayName?.slice(0, 200) || `${provider.name} user`;
    const claims = {
      role: mapped.role,
      organisationId: mapped.organisationId,
      displayName,
      email: mapped.email,
    };
    const linked = await users.findFederated(identity.issuer, identity.subject);
    if (linked) {
      if (linked.disabledAt) return { refused: 'WL_OIDC_ACCOUNT_DISABLED' };
      await users.refreshFederated(linked.username, claims);
      return { username: linked.username, created: false };
    }
    const username = await users.freeUsername(mapped.email?.split('@')[0] ?? `${provider.id}-user`);
    const created = await users.createFederated(
      { username, ...claims, createdBy: `oidc:${provider.id}` },
      { issuer: identity.issuer, subject: identity.subject },
    );
    return created ? { username, created: true } : { refused: 'WL_OIDC_ACCOUNT_CONFLICT' };
  }

  app.get<{ Params: { provider: string } }>(`${CALLBACK_PATH}/:provider/callback`, async (request, reply) => {
    const party = parties.get(request.params.provider);
    reply.clearCookie(OIDC_PENDING_COOKIE, { path: CALLBACK_PATH });
    if (!party) return refuse(request, reply, 'unknown', 'WL_OIDC_UNKNOWN_PROVIDER');
    const provider = party.provider;
    const handle = request.cookies[OIDC_PENDING_COOKIE];
    // The URL the identity provider redirected to, as registered: behind a proxy request.url may lack its prefix.
    const currentUrl = new URL(redirectUri(provider.id));
    currentUrl.search = new URL(request.url, 'http://x').search;
    const result = await party.callback(currentUrl, handle);
    if (!result.ok) return refuse(request, reply, provider.id, result.code, { reason: result.reason });

    const mapped = mapClaims(provider, result.identity.claims);
    if (!mapped.ok) return refuse(request, reply, provider.id, mapped.code, mapped);
    if (!(await openOrganisation(mapped.organisationId)))
      return refuse(request, reply, provider.id, 'WL_OIDC_UNKNOWN_ORGANISATION', {
        reason: 'mapped organisation does not exist or is closed',
        organisationId: mapped.organisationId,
      });
    const outcome = await account(result.identity, provider, mapped);
    if ('refused' in outcome)
      return refuse(request, reply, provider.id, outcome.refused, { organisationId: mapped.organisationId });

    const token = await startSessionCookie(reply, users, outcome.username, { secure: options.secureCookies });
    // From here this request is the person's: the audit names them as the actor.
    request.user = (await users.userForToken(token)) ?? null;
    await audit.record(request, {
      action: 'auth.sign-in',
      targetType: 'user',
      targetId: outcome.username,
      detail: { method: 'oidc', provider: provider.id, ...(outcome.created ? { accountCreated: true } : {}) },
    });
    webMetrics.signIn('success');
    request.log.info(
      { username: outcome.username, provider: provider.id },
      'signed in through single sign-on',
    );
    return reply.redirect(dashboard());
  });
}
