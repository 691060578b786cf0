import { DEFAULT_SCRYPT_COST, verifyPassword } from '@wardline/broker';
import type { SignInThrottle } from './sign-in-throttle.js';
import type { UserRecord, UserRepository } from './user-repository.js';

export type SignInResult =
  | { ok: true; user: UserRecord }
  | {
      ok: false;
      code: 'WL_BAD_CREDENTIALS' | 'WL_ACCOUNT_DISABLED' | 'WL_SECOND_FACTOR_REQUIRED' | 'WL_BAD_TOTP_CODE';
    }
  | { ok: false; code: 'WL_SIGN_IN_LOCKED'; retryAfterMs: number };

const zeros = (base64: string | undefined, fallback: number) =>
  Buffer.alloc(base64 ? Buffer.from(base64, 'base64').length || fallback : fallback).toString('base64');

/**
 * A well-formed hash that no password matches, with the scheme and cost of a real stored hash
 * (`scrypt$N$r$p$salt$key`): checking an unknown name costs as much as checking a known one.
 */
export function unmatchableHashLike(sample: string | undefined): string {
  const parts = sample?.split('$') ?? [];
  if (parts.length !== 6 || parts[0] !== 'scrypt') {
    const { N, r, p } = DEFAULT_SCRYPT_COST;
    return ['scrypt', N, r, p, zeros(undefined, 16), zeros(undefined, 32)].join('$');
  }
  return [...parts.slice(0, 4), zeros(parts[4], 16), zeros(parts[5], 32)].join('$');
}

/** Whether a TOTP code is right for the user now and not used before (it is used up by this). */
export type TotpCheck = (user: UserRecord, code: string) => boolean | Promise<boolean>;

/**
 * One sign-in attempt: throttled per name and per address, the same work whether or not the name
 * exists, and recorded with the name tried, the address and the outcome. For an account with a
 * second factor the attempt counts as a failure until the code is right too, so that codes cannot
 * be guessed faster than passwords.
 */
export function createSignIn(users: UserRepository, throttle: SignInThrottle, checkTotp?: TotpCheck) {
  return async function signIn(
    username: string,
    password: string,
    address: string | null,
    totp?: string,
  ): Promise<SignInResult> {
    const record = (outcome: 'success' | 'failure' | 'locked', code: string | null) =>
      throttle.record({ username, address, outcome, code });

    const admission = await throttle.admit(username, address);
    if (!admission.admitted) {
      await record('locked', 'WL_SIGN_IN_LOCKED');
      return { ok: false, code: 'WL_SIGN_IN_LOCKED', retryAfterMs: admission.retryAfterMs };
    }
    const user = await users.find(username);
    const valid = await verifyPassword(
      password,
      user?.passwordHash ?? unmatchableHashLike(await users.passwordHashSample()),
    );
    if (!user || !valid || user.passwordHash === null) {
      await record('failure', 'WL_BAD_CREDENTIALS');
      return { ok: false, code: 'WL_BAD_CREDENTIALS' };
    }
    if (user.totpEnabledAt && !user.disabledAt) {
      if (!totp) {
        await record('failure', 'WL_SECOND_FACTOR_REQUIRED');
        return { ok: false, code: 'WL_SECOND_FACTOR_REQUIRED' };
      }
      if (!(await checkTotp?.(user, totp))) {
        await record('failure', 'WL_BAD_TOTP_CODE');
        return { ok: false, code: 'WL_BAD_TOTP_CODE' };
      }
    }
    // The password was right, so this was no guess; whether the account may be used is another matter.
    await throttle.succeeded(admission.ticket);
    if (user.disabledAt) {
      await record('failure', 'WL_ACCOUNT_DISABLED');
      return { ok: false, code: 'WL_ACCOUNT_DISABLED' };
    }
    await record('success', null);
    return { ok: true, user };
  };
}
export type SignIn = ReturnType<typeof createSignIn>;
