import { Secret, TOTP } from 'otpauth';
import type { SqlDatabase } from '../db/engines/engine.js';

/** RFC 6238 with what every authenticator app supports: SHA-1, 6 digits, 30 seconds. */
const PERIOD_SECONDS = 30;
const ISSUER = 'Wardline';

const totpFor = (secretBase32: string, label: string) =>
  new TOTP({
    issuer: ISSUER,
    label,
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD_SECONDS,
    secret: Secret.fromBase32(secretBase32),
  });

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function totpUri(secretBase32: string, label: string): string {
  return totpFor(secretBase32, label).toString();
}

/** The current code (tests; an operator's own check). */
export function totpCode(secretBase32: string, at = Date.now()): string {
  return totpFor(secretBase32, 'x').generate({ timestamp: at });
}

/**
 * The time step a code belongs to, when it is right within one step either side (clock drift);
 * null when it is not.
 */
export function totpStep(secretBase32: string, code: string, at = Date.now()): number | null {
  const delta = totpFor(secretBase32, 'x').validate({ token: code, timestamp: at, window: 1 });
  return delta === null ? null : Math.floor(at / 1000 / PERIOD_SECONDS) + delta;
}

/**
 * Each account's last used step: a code (or an earlier one) cannot be used twice, on any replica,
 * before or after a restart. One conditional upsert decides, so two replicas given the same code at
 * once accept it once.
 */
export function createTotpReplayGuard(sql: SqlDatabase) {
  return {
    /** Claims the step for the account; false when it (or a later one) was used already. */
    async claim(username: string, step: number): Promise<boolean> {
      const { changes } = await sql.run(
        `INSERT INTO totp_steps (username, last_step) VALUES (?, ?)
         ON CONFLICT (username) DO UPDATE SET last_step = excluded.last_step
         WHERE totp_steps.last_step < excluded.last_step`,
        [username, step],
      );
      return changes === 1;
    },
  };
}
export type TotpReplayGuard = ReturnType<typeof createTotpReplayGuard>;
