import type { SmtpConfig } from '../alerts/config.js';
import { DEFAULT_SESSION_POLICY, type SessionPolicy } from '../auth/user-repository.js';
import { parseSecretsKey } from '../auth/secret-box.js';
import { DEFAULT_TOKEN_LIFETIMES, type AccountTokenLifetimes } from './account-tokens.js';

/** Sessions, one-time links and secrets at rest, from the environment. */
export interface AccountsConfig {
  sessions: SessionPolicy;
  tokens: AccountTokenLifetimes;
  /** WARDLINE_SECRETS_KEY: seals TOTP secrets at rest (AES-256-GCM); null keeps them unsealed. */
  secretsKey: Buffer | null;
  /** Where invitations are sent from; null: links are handed to the admin instead. */
  smtp?: SmtpConfig | null;
}

export function defaultAccountsConfig(): AccountsConfig {
  return { sessions: DEFAULT_SESSION_POLICY, tokens: DEFAULT_TOKEN_LIFETIMES, secretsKey: null };
}

function whole(env: NodeJS.ProcessEnv, name: string, unit: number, fallbackMs: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallbackMs;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(
      `${name} must be a whole number of 1 or more, got "${raw}": fix it, or unset it for the default, ${fallbackMs / unit}`,
    );
  return n * unit;
}

export function accountsConfigFromEnv(env: NodeJS.ProcessEnv): AccountsConfig {
  const minute = 60_000;
  const hour = 60 * minute;
  const d = defaultAccountsConfig();
  const idleMs = whole(env, 'WARDLINE_SESSION_IDLE_MINUTES', minute, d.sessions.idleMs);
  // Open dashboards keep their sessions alive once a minute: a shorter idle timeout would sign them out.
  if (idleMs < 5 * minute)
    throw new Error(
      'WARDLINE_SESSION_IDLE_MINUTES must be 5 or more: fix it, or unset it for the default, 60',
    );
  const sessions = {
    idleMs,
    maxMs: whole(env, 'WARDLINE_SESSION_MAX_HOURS', hour, d.sessions.maxMs),
  };
  return {
    sessions,
    tokens: {
      inviteMs: whole(env, 'WARDLINE_INVITE_LINK_HOURS', hour, d.tokens.inviteMs),
      resetMs: whole(env, 'WARDLINE_RESET_LINK_MINUTES', minute, d.tokens.resetMs),
    },
    secretsKey: parseSecretsKey(env.WARDLINE_SECRETS_KEY),
  };
}
