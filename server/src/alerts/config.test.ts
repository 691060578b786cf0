import { describe, expect, it } from 'vitest';
import { alertingConfigFromEnv } from './config.js';

describe('alerting configuration from the environment', () => {
  it('has sane defaults: 5 minutes to acknowledge a critical or high alert, three levels, no channels', () => {
    const c = alertingConfigFromEnv({});
    expect(c.escalateAfterMs).toEqual({ critical: 300_000, high: 300_000, medium: 1_800_000, low: null });
    expect(c.levels.map((l) => l.name)).toEqual(['ward team', 'nurse in charge', 'on-call clinician']);
    expect(c).toMatchObject({ smtp: null, webhookSecret: null, deviceVitalsMaxAgeMs: 86_400_000 });
  });

  it('reads levels (";") and recipients (",") and channel settings', () => {
    const c = alertingConfigFromEnv({
      WARDLINE_ESCALATION_EMAILS: 'ward@example.org;charge@example.org, deputy@example.org',
      WARDLINE_ESCALATION_WEBHOOKS: ';;https://pager.example.org/hook',
      WARDLINE_ESCALATE_MEDIUM_SECONDS: 'off',
      WARDLINE_ESCALATE_CRITICAL_SECONDS: '120',
      WARDLINE_SMTP_HOST: 'smtp.example.org',
      WARDLINE_SMTP_PORT: '465',
      WARDLINE_SMTP_SECURE: '1',
      WARDLINE_WEBHOOK_SECRET: 's3cret',
    });
    expect(c.levels).toEqual([
      { name: 'ward team', emails: ['ward@example.org'], webhooks: [] },
      { name: 'nurse in charge', emails: ['charge@example.org', 'deputy@example.org'], webhooks: [] },
      { name: 'on-call clinician', emails: [], webhooks: ['https://pager.example.org/hook'] },
    ]);
    expect(c.escalateAfterMs).toMatchObject({ critical: 120_000, medium: null });
    expect(c.smtp).toMatchObject({ host: 'smtp.example.org', port: 465, secure: true });
  });

  it('refuses nonsense rather than guessing', () => {
    expect(() => alertingConfigFromEnv({ WARDLINE_ESCALATE_HIGH_SECONDS: '-5' })).toThrow(/positive/);
    expect(() => alertingConfigFromEnv({ WARDLINE_SMTP_HOST: 'x', WARDLINE_SMTP_PORT: 'smtp' })).toThrow(
      /port/,
    );
  });

  it('reads the falls incident, long-lie and post-fall settings', () => {
    const defaults = alertingConfigFromEnv({});
    expect(defaults).toMatchObject({
      fallIncidentWindowMs: 600_000,
      longLieUnacknowledgedMs: 600_000,
      longLieMs: 3_600_000,
      postFallObservationMinutes: [0, 30, 60, 120, 240, 480, 1440],
    });
    const c = alertingConfigFromEnv({
      WARDLINE_LONG_LIE_SECONDS: '1800',
      WARDLINE_POST_FALL_OBSERVATION_MINUTES: '0, 15, 30, 60',
    });
    expect(c).toMatchObject({ longLieMs: 1_800_000, postFallObservationMinutes: [0, 15, 30, 60] });
    expect(
      alertingConfigFromEnv({ WARDLINE_POST_FALL_OBSERVATION_MINUTES: 'off' }).postFallObservationMinutes,
    ).toEqual([]);
    for (const bad of ['30,15', '0,x', '-5,10'])
      expect(() => alertingConfigFromEnv({ WARDLINE_POST_FALL_OBSERVATION_MINUTES: bad })).toThrow(
        /ascending/,
      );
  });
});
