import type { SmtpConfig } from '../alerts/config.js';
import { createSecretBox } from '../auth/secret-box.js';
import { createTotpReplayGuard } from '../auth/totp.js';
import type { SqlDatabase } from '../db/engines/engine.js';
import { createMailer, type Mailer } from '../notify/email.js';
import {
  createAccountTokens,
  DEFAULT_TOKEN_LIFETIMES,
  type AccountTokenLifetimes,
} from './account-tokens.js';
import { createOrganisationRepository } from './organisation-repository.js';

/** What account management shares: organisations, one-time links, sealed secrets, the mailer. */
export function createAccounts(
  sql: SqlDatabase,
  options: { tokens?: AccountTokenLifetimes; secretsKey?: Buffer | null; smtp?: SmtpConfig | null } = {},
) {
  let mailer: Mailer | null = null;
  return {
    organisations: createOrganisationRepository(sql),
    tokens: createAccountTokens(sql, options.tokens ?? DEFAULT_TOKEN_LIFETIMES),
    secrets: createSecretBox(options.secretsKey ?? null),
    totpReplay: createTotpReplayGuard(sql),
    /** The SMTP mailer for invitations and resets; null when SMTP is not configured. */
    mailer(): Mailer | null {
      if (!options.smtp) return null;
      mailer ??= createMailer(options.smtp);
      return mailer;
    },
    close(): void {
      mailer?.close();
      mailer = null;
    },
  };
}
export type Accounts = ReturnType<typeof createAccounts>;
