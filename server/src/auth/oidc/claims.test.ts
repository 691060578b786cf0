import { describe, expect, it } from 'vitest';
import { claimValues, mapClaims } from './claims.js';
import type { OidcProviderConfig } from './config.js';

const provider: OidcProviderConfig = {
  id: 'cis2',
  name: 'NHS CIS2 Authentication',
  issuer: 'https://idp.example',
  clientId: 'c',
  clientSecret: 's',
  tokenEndpointAuthMethod: 'client_secret_basic',
  scopes: ['openid'],
  userInfo: true,
  organisation: { claim: 'nhsid_nrbac_roles.org_code', values: { RX1: 'org-a', RY2: 'org-b' } },
  role: {
    claim: 'nhsid_nrbac_roles.role_code',
    values: {
      'S8000:G8000:R8001': 'nurse',
      'S8000:G8000:R8000': 'nurse_in_charge',
      'S0001:G0001:R0001': 'admin',
    },
  },
  displayNameClaim: 'name',
  emailClaim: 'email',
};

const roles = (...entries: [string, string][]) => ({
  name: 'A Person',
  nhsid_nrbac_roles: entries.map(([org_code, role_code]) => ({ org_code, role_code })),
});

describe('mapping claims to organisation and role', () => {
  it('walks through arrays of objects to every value at a path', () => {
    expect(claimValues(roles(['RX1', 'a'], ['RY2', 'b']), 'nhsid_nrbac_roles.org_code')).toEqual([
      'RX1',
      'RY2',
    ]);
    expect(claimValues({ groups: ['x', 'y'] }, 'groups')).toEqual(['x', 'y']);
    expect(claimValues({ groups: 'x' }, 'missing.path')).toEqual([]);
  });

  it('gives the mapped organisation and the highest mapped role held', () => {
    const mapped = mapClaims(provider, roles(['RX1', 'S8000:G8000:R8001'], ['RX1', 'S8000:G8000:R8000']));
    expect(mapped).toEqual({
      ok: true,
      organisationId: 'org-a',
      role: 'nurse_in_charge',
      displayName: 'A Person',
      email: null,
    });
  });

  it('ignores role assignments at organisations this service does not know', () => {
    expect(
      mapClaims(provider, roles(['ZZ9', 'S0001:G0001:R0001'], ['RX1', 'S8000:G8000:R8001'])),
    ).toMatchObject({
      ok: true,
      organisationId: 'org-a',
    });
  });

  it('refuses an unknown organisation, a person in two mapped organisations, and an unmapped role', () => {
    expect(mapClaims(provider, roles(['ZZ9', 'S8000:G8000:R8001']))).toMatchObject({
      ok: false,
      code: 'WL_OIDC_UNKNOWN_ORGANISATION',
    });
    expect(
      mapClaims(provider, roles(['RX1', 'S8000:G8000:R8001'], ['RY2', 'S8000:G8000:R8001'])),
    ).toMatchObject({
      ok: false,
      code: 'WL_OIDC_AMBIGUOUS_ORGANISATION',
    });
    expect(mapClaims(provider, roles(['RX1', 'S9999:G9999:R9999']))).toMatchObject({
      ok: false,
      code: 'WL_OIDC_UNKNOWN_ROLE',
      organisationId: 'org-a',
    });
  });

  it('does not treat inherited object properties as mapped values', () => {
    expect(mapClaims(provider, roles(['constructor', 'toString']))).toMatchObject({ ok: false });
  });
});
