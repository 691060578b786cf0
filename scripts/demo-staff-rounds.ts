/**
 * The demo's staff observations: what a nurse counts and notes on a round (respiration rate,
 * consciousness, oxygen), which no simulated device measures, recorded as the demo nurse through
 * the same manual-observation API the patient screen's form uses. Without them no demo resident
 * could have a complete NEWS2. Used by scripts/simulate-fleet.ts.
 */
import type { SpotVitals } from '@wardline/firmware-sim';
import type { Logger } from 'pino';

export interface StaffRounds {
  record(patientId: string, vitals: SpotVitals): Promise<void>;
  stop(): void;
}

export function staffRounds(options: {
  baseUrl: string;
  username: string;
  password: string;
  logger: Logger;
}): StaffRounds {
  const { baseUrl, username, password, logger } = options;
  const abort = new AbortController();
  let token: Promise<string> | null = null;
  let stopped = false;

  const signIn = async (): Promise<string> => {
    const res = await fetch(`${baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
      signal: abort.signal,
    });
    if (!res.ok) throw new Error(`demo ${username} sign-in answered ${res.status}`);
    return ((await res.json()) as { token: string }).token;
  };

  const post = async (patientId: string, vitals: SpotVitals, bearer: string) =>
    fetch(`${baseUrl}/api/patients/${encodeURIComponent(patientId)}/manual-observations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({
        respirationRate: vitals.respirationRate,
        consciousness: vitals.consciousness,
        onOxygen: vitals.onOxygen,
      }),
      signal: abort.signal,
    });

  return {
    async record(patientId, vitals) {
      if (stopped) return;
      try {
        token ??= signIn();
        let res = await post(patientId, vitals, await token);
        if (res.status === 401) {
          // The session ended (expiry, a password change): sign in again, once.
          token = signIn();
          res = await post(patientId, vitals, await token);
        }
        if (!res.ok) logger.info({ patientId, status: res.status }, 'demo staff observation not recorded');
      } catch (err) {
        token = null;
        if (!stopped)
          logger.info(
            { patientId, reason: err instanceof Error ? err.message : String(err) },
            'demo staff observation not recorded',
          );
      }
    },
    stop() {
      stopped = true;
      abort.abort();
    },
  };
}
