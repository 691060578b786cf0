import type { OidcSignInError } from '@wardline/protocol';
import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import { isLoopbackUrl, type OidcProviderConfig } from './config.js';

/** What a sign-in started in this browser needs at its callback; never leaves the server. */
interface PendingSignIn {
  providerId: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  expiresAt: number;
  /** Where the sign-in was started from: one address cannot push out everyone else's. */
  address: string;
}

/** The identity a provider vouched for, with every claim from the ID token and userinfo. */
export interface VerifiedIdentity {
  issuer: string;
  subject: string;
  claims: Record<string, unknown>;
}

export type CallbackResult =
  { ok: true; identity: VerifiedIdentity } | { ok: false; code: OidcSignInError; reason: string };

/** Long enough to sign in with a smartcard at the IdP; a pending sign-in is used once. */
export const PENDING_TTL_MS = 10 * 60_000;
/** Starting a sign-in needs no account: a flood of starts evicts the oldest, memory stays bounded. */
const MAX_PENDING = 10_000;
/**
 * Sign-ins one address may have pending: beyond it, that address's own oldest goes. Without it, one
 * client starting 10,000 sign-ins evicted every other person's sign-in in progress.
 */
export const MAX_PENDING_PER_ADDRESS = 20;

/**
 * The OpenID Connect relying party for one provider: authorization code flow with PKCE (S256),
 * state and nonce. Discovery happens on first use and is retried after a failure, so an IdP that is
 * down at start-up does not stop the server.
 */
export function createRelyingParty(provider: OidcProviderConfig) {
  let discovered: Promise<client.Configuration> | null = null;
  const pending = new Map<string, PendingSignIn>();

  function configuration(): Promise<client.Configuration> {
    discovered ??= client
      .discovery(
        new URL(provider.issuer),
        provider.clientId,
        { client_secret: provider.clientSecret },
        provider.tokenEndpointAuthMethod === 'client_secret_post'
          ? client.ClientSecretPost(provider.clientSecret)
          : client.ClientSecretBasic(provider.clientSecret),
        {
          timeout: 10,
          ...(isLoopbackUrl(provider.issuer) ? { execute: [client.allowInsecureRequests] } : {}),
        },
      )
      .catch((err: unknown) => {
        discovered = null;
        throw err;
      });
    return discovered;
  }

  function takePending(handle: string | undefined): PendingSignIn | undefined {
    if (!handle) return undefined;
    const entry = pending.get(handle);
    pending.delete(handle);
    return entry && entry.expiresAt > Date.now() ? entry : undefined;
  }

  return {
    provider,

    /** The IdP's authorization URL, and the handle (for an HttpOnly cookie) of what the callback checks. */
    async start(redirectUri: string, address: string): Promise<{ url: URL; handle: string }> {
      const config = await configuration();
      const codeVerifier = client.randomPKCECodeVerifier();
      const entry: PendingSignIn = {
        providerId: provider.id,
        state: client.randomState(),
        nonce: client.randomNonce(),
        codeVerifier,
        expiresAt: Date.now() + PENDING_TTL_MS,
        address,
      };
      const handle = randomBytes(32).toString('base64url');
      const fromAddress: string[] = [];
      for (const [key, old] of pending) {
        // Insertion order: the oldest first. Expired ones go; past the global bound, the oldest.
        if (old.expiresAt <= Date.now() || pending.size >= MAX_PENDING) pending.delete(key);
        else if (old.address === address) fromAddress.push(key);
      }
      const excess = Math.max(0, fromAddress.length - MAX_PENDING_PER_ADDRESS + 1);
      for (const key of fromAddress.slice(0, excess)) pending.delete(key);
      pending.set(handle, entry);
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: provider.scopes.join(' '),
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state: entry.state,
        nonce: entry.nonce,
      });
      return { url, handle };
    },

    /**
     * Checks the browser's pending sign-in against the response (one use), exchanges the code and
     * validates the ID token (signature, issuer, audience, expiry, nonce).
     */
    async callback(currentUrl: URL, handle: string | undefined): Promise<CallbackResult> {
      const entry = takePending(handle);
      if (!entry || entry.providerId !== provider.id)
        return { ok: false, code: 'WL_OIDC_BAD_STATE', reason: 'no pending sign-in in this browser' };
      const params = currentUrl.searchParams;
      if (params.get('state') !== entry.state)
        return { ok: false, code: 'WL_OIDC_BAD_STATE', reason: 'state does not match' };
      if (params.has('error'))
        return { ok: false, code: 'WL_OIDC_IDP_ERROR', reason: `identity provider: ${params.get('error')}` };
      try {
        const config = await configuration();
        const tokens = await client.authorizationCodeGrant(config, currentUrl, {
          pkceCodeVerifier: entry.codeVerifier,
          expectedState: entry.state,
          expectedNonce: entry.nonce,
          idTokenExpected: true,
        });
        const idClaims = tokens.claims()!;
        const userInfo =
          provider.userInfo && config.serverMetadata().userinfo_endpoint
            ? await client.fetchUserInfo(config, tokens.access_token, idClaims.sub)
            : {};
        return {
          ok: true,
          // The ID token's own claims win over userinfo's: they are the ones whose signature was checked.
          identity: { issuer: idClaims.iss, subject: idClaims.sub, claims: { ...userInfo, ...idClaims } },
        };
      } catch (err) {
        const e = err as Error & { code?: string; error?: string };
        return {
          ok: false,
          code: 'WL_OIDC_INVALID_RESPONSE',
          reason: `${e.name}: ${e.code ?? e.error ?? ''} ${e.message}`.slice(0, 300),
        };
      }
    },
  };
}
export type RelyingParty = ReturnType<typeof createRelyingParty>;
