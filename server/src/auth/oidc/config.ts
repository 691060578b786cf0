import { readFileSync } from 'node:fs';

/** The roles an identity provider's claims may grant: staff only, never family or operator. */
export const FEDERATED_ROLES = ['nurse', 'nurse_in_charge', 'admin'] as const;
export type FederatedRole = (typeof FEDERATED_ROLES)[number];

/** Which claim carries a value, and what each value means here. */
export interface ClaimMapping<T extends string> {
  /** A claim name, or a path through objects and arrays: `nhsid_nrbac_roles.org_code`. */
  claim: string;
  values: Record<string, T>;
}

export interface OidcProviderConfig {
  /** In URLs (/api/auth/oidc/{id}/start) and usernames: lower-case letters, digits and dashes. */
  id: string;
  /** On the sign-in button: "Sign in with {name}". */
  name: string;
  issuer: string;
  clientId: string;
  /** From the environment variable the file names; never in the file itself. */
  clientSecret: string;
  tokenEndpointAuthMethod: 'client_secret_basic' | 'client_secret_post';
  scopes: string[];
  /** Also ask the userinfo endpoint for claims (CIS2 gives its roles only there). */
  userInfo: boolean;
  organisation: ClaimMapping<string>;
  role: ClaimMapping<FederatedRole>;
  displayNameClaim: string;
  emailClaim: string;
}

const ID = /^[a-z0-9][a-z0-9-]{0,31}$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** An issuer over plain HTTP only on this machine (tests, a local IdP); anything else needs TLS. */
export function isLoopbackUrl(url: string): boolean {
  return LOOPBACK.has(new URL(url).hostname);
}

type Json = Record<string, unknown>;

function fail(where: string, message: string): never {
  throw new Error(`WARDLINE_OIDC_CONFIG: ${where}: ${message}`);
}

function text(obj: Json, key: string, where: string, fallback?: string): string {
  const value = obj[key] ?? fallback;
  if (typeof value !== 'string' || value === '') fail(where, `"${key}" must be a non-empty string`);
  return value;
}

function mapping<T extends string>(
  obj: Json,
  key: string,
  where: string,
  allowed?: readonly T[],
): ClaimMapping<T> {
  const value = obj[key];
  if (!value || typeof value !== 'object')
    fail(where, `"${key}" must be { "claim": ..., "values": { ... } }`);
  const claim = text(value as Json, 'claim', `${where}.${key}`);
  const values = (value as Json).values;
  if (!values || typeof values !== 'object' || Array.isArray(values) || Object.keys(values).length === 0)
    fail(`${where}.${key}`, '"values" must map at least one claim value');
  for (const [from, to] of Object.entries(values)) {
    if (typeof to !== 'string' || (allowed && !allowed.includes(to as T)))
      fail(
        `${where}.${key}.values["${from}"]`,
        allowed ? `must be one of ${allowed.join(', ')}` : 'must be a string',
      );
  }
  return { claim, values: values as Record<string, T> };
}

function provider(raw: unknown, index: number, env: NodeJS.ProcessEnv): OidcProviderConfig {
  let where = `providers[${index}]`;
  if (!raw || typeof raw !== 'object') fail(where, 'must be an object');
  const obj = raw as Json;
  const id = text(obj, 'id', where);
  if (!ID.test(id)) fail(where, `"id" must be lower-case letters, digits and dashes, got "${id}"`);
  where = `provider "${id}"`;
  if ('clientSecret' in obj)
    fail(where, 'a client secret never goes in the file: name its environment variable in "clientSecretEnv"');
  const issuer = text(obj, 'issuer', where);
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    fail(where, `"issuer" must be a URL, got "${issuer}"`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackUrl(issuer)))
    fail(where, `"issuer" must be https (http only on 127.0.0.1/localhost), got "${issuer}"`);
  const secretEnv = text(obj, 'clientSecretEnv', where);
  const clientSecret = env[secretEnv];
  if (!clientSecret) fail(where, `the client secret's environment variable ${secretEnv} is not set`);
  const method = obj.tokenEndpointAuthMethod ?? 'client_secret_basic';
  if (method !== 'client_secret_basic' && method !== 'client_secret_post')
    fail(where, '"tokenEndpointAuthMethod" must be client_secret_basic or client_secret_post');
  const scopes = obj.scopes ?? ['openid', 'profile', 'email'];
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string') || !scopes.includes('openid'))
    fail(where, '"scopes" must be a list of strings including "openid"');
  return {
    id,
    name: text(obj, 'name', where),
    issuer,
    clientId: text(obj, 'clientId', where),
    clientSecret,
    tokenEndpointAuthMethod: method,
    scopes: scopes as string[],
    userInfo: obj.userInfo !== false,
    organisation: mapping(obj, 'organisation', where),
    role: mapping(obj, 'role', where, FEDERATED_ROLES),
    displayNameClaim: text(obj, 'displayNameClaim', where, 'name'),
    emailClaim: text(obj, 'emailClaim', where, 'email'),
  };
}

/**
 * Single sign-on providers from WARDLINE_OIDC_CONFIG: a JSON file's path, or the JSON itself.
 * Unset: no providers, local accounts only. Any mistake stops the start with a message saying where.
 */
export function oidcProvidersFromEnv(env: NodeJS.ProcessEnv = process.env): OidcProviderConfig[] {
  const setting = env.WARDLINE_OIDC_CONFIG?.trim();
  if (!setting) return [];
  let source = setting;
  if (!setting.startsWith('{')) {
    try {
      source = readFileSync(setting, 'utf8');
    } catch (err) {
      throw new Error(
        `WARDLINE_OIDC_CONFIG: cannot read ${setting} (${(err as NodeJS.ErrnoException).code ?? 'error'}): ` +
          'set it to the path of the providers file, or to the JSON itself',
        { cause: err },
      );
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch (err) {
    throw new Error(`WARDLINE_OIDC_CONFIG: not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const list = (parsed as Json | null)?.providers;
  if (!Array.isArray(list)) fail('top level', 'must be { "providers": [ ... ] }');
  const providers = list.map((raw, i) => provider(raw, i, env));
  const ids = providers.map((p) => p.id);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) fail(`provider "${duplicate}"`, 'two providers have this id');
  return providers;
}
