import type { OidcSignInError } from '@wardline/protocol';
import type { FederatedRole, OidcProviderConfig } from './config.js';

/** Most privileged first: with several mapped roles, a person gets the highest they hold. */
const RANK: readonly FederatedRole[] = ['admin', 'nurse_in_charge', 'nurse'];

export type MappedClaims =
  | {
      ok: true;
      organisationId: string;
      role: FederatedRole;
      displayName: string | null;
      email: string | null;
    }
  | { ok: false; code: OidcSignInError; organisationId: string | null };

/**
 * Every string at a claim path: `a.b` walks into objects and through arrays, so
 * `nhsid_nrbac_roles.org_code` gives the ODS code of each of a CIS2 user's role assignments.
 */
export function claimValues(claims: Record<string, unknown>, path: string): string[] {
  let current: unknown[] = [claims];
  for (const key of path.split('.')) {
    current = current
      .flatMap((value) => (Array.isArray(value) ? value : [value]))
      .map((value) =>
        value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined,
      )
      .filter((value) => value !== undefined && value !== null);
  }
  return current
    .flatMap((value) => (Array.isArray(value) ? value : [value]))
    .filter((value): value is string | number => typeof value === 'string' || typeof value === 'number')
    .map(String);
}

function single(claims: Record<string, unknown>, path: string): string | null {
  return claimValues(claims, path)[0] ?? null;
}

/** The organisation and role an identity provider's claims map to, by the operator's configuration. */
export function mapClaims(provider: OidcProviderConfig, claims: Record<string, unknown>): MappedClaims {
  const { organisation, role } = provider;
  const organisations = new Set(
    claimValues(claims, organisation.claim).flatMap((value) =>
      Object.hasOwn(organisation.values, value) ? [organisation.values[value]!] : [],
    ),
  );
  if (organisations.size === 0)
    return { ok: false, code: 'WL_OIDC_UNKNOWN_ORGANISATION', organisationId: null };
  if (organisations.size > 1)
    return { ok: false, code: 'WL_OIDC_AMBIGUOUS_ORGANISATION', organisationId: null };
  const organisationId = [...organisations][0]!;
  const roles = new Set(
    claimValues(claims, role.claim).flatMap((value) =>
      Object.hasOwn(role.values, value) ? [role.values[value]!] : [],
    ),
  );
  const granted = RANK.find((r) => roles.has(r));
  if (!granted) return { ok: false, code: 'WL_OIDC_UNKNOWN_ROLE', organisationId };
  return {
    ok: true,
    organisationId,
    role: granted,
    displayName: single(claims, provider.displayNameClaim),
    email: single(claims, provider.emailClaim),
  };
}
