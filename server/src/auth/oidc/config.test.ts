import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { oidcProvidersFromEnv } from './config.js';

const provider = {
  id: 'cis2',
  name: 'NHS CIS2 Authentication',
  issuer:
    'https://am.nhsint.auth-ptl.cis2.spineservices.nhs.uk/openam/oauth2/realms/root/realms/NHSIdentity/realms/Healthcare',
  clientId: 'wardline-client',
  clientSecretEnv: 'CIS2_SECRET',
  organisation: { claim: 'nhsid_nrbac_roles.org_code', values: { RX1: 'org-trust' } },
  role: { claim: 'nhsid_nrbac_roles.role_code', values: { 'S8000:G8000:R8001': 'nurse' } },
};

const load = (providers: unknown[], env: NodeJS.ProcessEnv = { CIS2_SECRET: 's3cret' }) =>
  oidcProvidersFromEnv({ ...env, WARDLINE_OIDC_CONFIG: JSON.stringify({ providers }) });

describe('single sign-on configuration', () => {
  it('has no providers when WARDLINE_OIDC_CONFIG is unset', () => {
    expect(oidcProvidersFromEnv({})).toEqual([]);
  });

  it('reads a providers file, taking the client secret from the variable it names', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'oidc-config-')), 'providers.json');
    writeFileSync(file, JSON.stringify({ providers: [provider] }));
    const [cis2] = oidcProvidersFromEnv({ WARDLINE_OIDC_CONFIG: file, CIS2_SECRET: 's3cret' });
    expect(cis2).toMatchObject({
      id: 'cis2',
      clientSecret: 's3cret',
      scopes: ['openid', 'profile', 'email'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      userInfo: true,
      displayNameClaim: 'name',
      emailClaim: 'email',
    });
  });

  it.each([
    ['a secret written in the file', [{ ...provider, clientSecret: 'x' }], /never goes in the file/],
    ['an unset secret variable', [provider], /CIS2_SECRET is not set/, {}],
    ['plain HTTP to another machine', [{ ...provider, issuer: 'http://idp.example' }], /must be https/],
    [
      'a role Wardline does not have',
      [{ ...provider, role: { claim: 'r', values: { x: 'operator' } } }],
      /must be one of nurse, nurse_in_charge, admin/,
    ],
    ['an id unfit for a URL', [{ ...provider, id: 'CIS 2' }], /lower-case letters/],
    ['two providers with one id', [provider, provider], /two providers have this id/],
    ['no organisation mapping', [{ ...provider, organisation: undefined }], /"organisation" must be/],
  ])('refuses to start with %s', (_what, providers, message, env?: NodeJS.ProcessEnv) => {
    expect(() => load(providers, env)).toThrow(message);
  });

  it('says which file it could not read', () => {
    expect(() => oidcProvidersFromEnv({ WARDLINE_OIDC_CONFIG: '/nonexistent/providers.json' })).toThrow(
      /cannot read \/nonexistent\/providers.json \(ENOENT\)/,
    );
  });
});
