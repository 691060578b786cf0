import type { AccountLinkResponse, SecondFactorState, StaffAccount } from '@wardline/protocol';
import { DEFAULT_SCRYPT_COST, hashPassword } from '@wardline/broker';
import type { FastifyBaseLogger } from 'fastify';
import type { ServerContext } from '../context.js';
import { passwordProblem } from '../auth/password-policy.js';
import { newTotpSecret, totpStep, totpUri } from '../auth/totp.js';
import type { NewAccount, UserRecord } from '../auth/user-repository.js';
import { Errors } from '../errors.js';
import type { AccountTokenPurpose } from './account-tokens.js';

type Context = Pick<ServerContext, 'users' | 'accounts'>;

/** The second-factor state a new session starts in, by the account and its organisation's policy. */
export async function secondFactorFor(ctx: Context, user: UserRecord): Promise<SecondFactorState> {
  if (user.totpEnabledAt) return 'totp';
  if (user.role !== 'admin' || !user.organisationId) return 'none';
  return (await ctx.accounts.organisations.get(user.organisationId))?.requireAdminTotp
    ? 'enrol-required'
    : 'none';
}

/** Checks a code against the user's confirmed (or, at enrolment, pending) secret, once per time step. */
export async function checkTotp(ctx: Context, user: UserRecord, code: string): Promise<boolean> {
  if (!user.totpSecret) return false;
  const step = totpStep(ctx.accounts.secrets.open(user.totpSecret), code);
  return step !== null && (await ctx.accounts.totpReplay.claim(user.username, step));
}

export async function beginTotpEnrolment(
  ctx: Context,
  user: UserRecord,
): Promise<{ uri: string; secret: string }> {
  if (user.totpEnabledAt)
    throw new Errors.conflict('a second factor is set up already: an administrator can reset it');
  const secret = newTotpSecret();
  await ctx.users.setPendingTotp(user.username, ctx.accounts.secrets.seal(secret));
  return { secret, uri: totpUri(secret, user.username) };
}

/** Words an attacker tries first for this account. */
async function contextWords(ctx: Context, user: UserRecord): Promise<string[]> {
  const organisation = user.organisationId
    ? (await ctx.accounts.organisations.get(user.organisationId))?.name
    : null;
  return [user.username, user.displayName, user.email?.split('@')[0] ?? '', organisation ?? ''];
}

export async function hashAcceptablePassword(
  ctx: Context,
  user: UserRecord,
  password: string,
): Promise<string> {
  const problem = passwordProblem(password, await contextWords(ctx, user));
  if (problem) throw new Errors.weakPassword(problem);
  return hashPassword(password, DEFAULT_SCRYPT_COST);
}

export function linkFor(publicUrl: string, token: string): string {
  // In the fragment: browsers never send it to a server, so it stays out of access logs.
  return `${publicUrl.replace(/\/$/, '')}/set-password#token=${token}`;
}

function mailText(
  purpose: AccountTokenPurpose,
  displayName: string,
  organisation: string,
  link: string,
  expiresAt: string,
) {
  const what =
    purpose === 'invite'
      ? `You have been invited to use Wardline for ${organisation}.`
      : `A new password was requested for your Wardline account (${organisation}). Your old password no longer works.`;
  return [
    `Hello ${displayName},`,
    '',
    what,
    'Choose your password here (the link works once, until ' + new Date(expiresAt).toUTCString() + '):',
    '',
    link,
    '',
    'If you did not expect this message, tell your Wardline administrator.',
  ].join('\n');
}

/**
 * Issues a one-time link for an account and e-mails it, or hands it back when there is no SMTP,
 * the admin asked for no e-mail, or sending failed. Logs never carry the token or the address.
 */
export async function issueAccountLink(
  ctx: Context,
  options: {
    username: string;
    purpose: AccountTokenPurpose;
    by: string;
    sendEmail: boolean;
    publicUrl: string;
    log: FastifyBaseLogger;
  },
): Promise<AccountLinkResponse> {
  const user = (await ctx.users.find(options.username))!;
  const { token, expiresAt } = await ctx.accounts.tokens.issue(user.username, options.purpose, options.by);
  const link = linkFor(options.publicUrl, token);
  const mailer = options.sendEmail && user.email ? ctx.accounts.mailer() : null;
  let emailed = false;
  if (mailer && user.email) {
    const organisation = user.organisationId
      ? ((await ctx.accounts.organisations.get(user.organisationId))?.name ?? 'your organisation')
      : 'the server (operator)';
    const subject = options.purpose === 'invite' ? 'Your Wardline account' : 'Set a new Wardline password';
    try {
      await mailer.send(
        user.email,
        subject,
        mailText(options.purpose, user.displayName, organisation, link, expiresAt),
      );
      emailed = true;
    } catch (error) {
      options.log.warn(
        { code: 'WL_ACCOUNT_MAIL_FAILED', username: user.username, error: (error as Error).message },
        'account link not e-mailed: handed to the administrator instead',
      );
    }
  }
  return {
    account: await staffAccount(ctx, user.username, user.organisationId),
    emailed,
    ...(emailed ? {} : { link }),
    expiresAt,
  };
}

export async function staffAccount(
  ctx: Context,
  username: string,
  organisationId: string | null,
): Promise<StaffAccount> {
  const account = (await ctx.users.staff(organisationId, username))[0];
  if (!account) throw new Errors.notFound('staff member');
  return account;
}

/** A new invited account: its user name from the e-mail's local part, the first one free. */
export async function createInvitedAccount(
  ctx: Context,
  account: Omit<NewAccount, 'username'>,
): Promise<string> {
  const username = await ctx.users.freeUsername(account.email?.split('@')[0] ?? 'user');
  if (!(await ctx.users.createAccount({ ...account, username })))
    throw new Errors.conflict('an account with this e-mail address exists already');
  return username;
}
