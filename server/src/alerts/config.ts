import type { AlertPriority } from '@wardline/protocol';

export interface EscalationLevel {
  name: string;
  emails: string[];
  webhooks: string[];
}

export interface SmtpConfig {
  host: string;
  port: number;
  secure: boolean;
  user?: string;
  password?: string;
  from: string;
}

/** Alerting and notification settings; every duration in ms. */
export interface AlertingConfig {
  /** Unacknowledged for this long -> next level (null: no escalation for that priority). */
  escalateAfterMs: Record<AlertPriority, number | null>;
  /** Level 1 is the ward team on the dashboard; each level adds its own recipients. */
  levels: EscalationLevel[];
  /** NEWS2 freshness: device vitals and staff-entered observations older than this are missing. */
  deviceVitalsMaxAgeMs: number;
  manualObservationsMaxAgeMs: number;
  /** A scheduled reading is overdue this long after it was due. */
  readingGraceMs: number;
  /** Continuous devices (falls sensors) not heard from for this long. */
  deviceSilentMs: number;
  /** A gateway's last will must stand this long before it alarms (reconnects are routine). */
  gatewayOfflineGraceMs: number;
  /** Missing-data checks run at least this often. */
  tickMs: number;
  /**
   * Flapping control (0 and 0: the old two-consecutive-readings debounce). A BP threshold alert
   * needs its breaching readings to span at least bpConfirmMs; a threshold alert auto-resolves only
   * once readings have stayed back within range for thresholdResolveMs.
   */
  bpConfirmMs: number;
  thresholdResolveMs: number;
  /** Falls incidents: events this close to the incident's last one join it even once acknowledged. */
  fallIncidentWindowMs: number;
  /** A fall or help call not acknowledged this long after it happened escalates as a long lie. */
  longLieUnacknowledgedMs: number;
  /** A fall with no sign of the resident getting up (upright) this long after it is a long lie. */
  longLieMs: number;
  /** When post-fall observation sets are due, in minutes after the fall. */
  postFallObservationMinutes: number[];
  smtp: SmtpConfig | null;
  webhookSecret: string | null;
  /** The SMS gateway seam: family text messages are POSTed (signed) here. */
  smsWebhookUrl: string | null;
  /** One recipient gets at most one message per this interval (critical alerts excepted). */
  recipientMinGapMs: number;
  retryBaseMs: number;
  maxAttempts: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const DEFAULT_LEVEL_NAMES = ['ward team', 'nurse in charge', 'on-call clinician'];

export function defaultAlertingConfig(): AlertingConfig {
  return {
    escalateAfterMs: { critical: 5 * MINUTE, high: 5 * MINUTE, medium: 30 * MINUTE, low: null },
    levels: DEFAULT_LEVEL_NAMES.map((name) => ({ name, emails: [], webhooks: [] })),
    deviceVitalsMaxAgeMs: 24 * HOUR,
    manualObservationsMaxAgeMs: 12 * HOUR,
    readingGraceMs: 2 * HOUR,
    deviceSilentMs: 15 * MINUTE,
    gatewayOfflineGraceMs: 2 * MINUTE,
    tickMs: 15_000,
    bpConfirmMs: MINUTE,
    thresholdResolveMs: 30 * MINUTE,
    fallIncidentWindowMs: 10 * MINUTE,
    longLieUnacknowledgedMs: 10 * MINUTE,
    longLieMs: HOUR,
    postFallObservationMinutes: [0, 30, 60, 120, 240, 480, 1440],
    smtp: null,
    webhookSecret: null,
    smsWebhookUrl: null,
    recipientMinGapMs: MINUTE,
    retryBaseMs: 5_000,
    maxAttempts: 8,
  };
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallbackMs: number | null): number | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallbackMs;
  if (raw === 'off') return null;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number of seconds or "off"`);
  return n * 1000;
}

function port(raw: string | undefined): number {
  const n = Number(raw ?? 587);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new Error(`WARDLINE_SMTP_PORT must be a port, got "${raw}"`);
  return n;
}

function count(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

/** "0,30,60": ascending whole minutes ("off": no post-fall prompts). */
function minutesList(name: string, raw: string | undefined, fallback: number[]): number[] {
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'off') return [];
  const values = raw.split(',').map((s) => Number(s.trim()));
  const valid = values.every((n, i) => Number.isInteger(n) && n >= 0 && (i === 0 || n > values[i - 1]!));
  if (!valid || values.length > 48)
    throw new Error(`${name} must be ascending whole minutes separated by commas (at most 48), or "off"`);
  return values;
}

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** Levels are separated by ';', recipients within a level by ','. */
function levelsFromEnv(env: NodeJS.ProcessEnv): EscalationLevel[] {
  const emails = (env.WARDLINE_ESCALATION_EMAILS ?? '').split(';');
  const webhooks = (env.WARDLINE_ESCALATION_WEBHOOKS ?? '').split(';');
  const names = env.WARDLINE_ESCALATION_LEVEL_NAMES?.split(';') ?? DEFAULT_LEVEL_NAMES;
  const count = Math.max(names.length, emails.length, webhooks.length);
  return Array.from({ length: count }, (_, i) => ({
    name: names[i]?.trim() || `level ${i + 1}`,
    emails: list(emails[i]),
    webhooks: list(webhooks[i]),
  }));
}

export function alertingConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AlertingConfig {
  const d = defaultAlertingConfig();
  const need = (name: string, fallback: number) => seconds(env, name, fallback) ?? fallback;
  const smtpHost = env.WARDLINE_SMTP_HOST;
  return {
    escalateAfterMs: {
      critical: seconds(env, 'WARDLINE_ESCALATE_CRITICAL_SECONDS', d.escalateAfterMs.critical),
      high: seconds(env, 'WARDLINE_ESCALATE_HIGH_SECONDS', d.escalateAfterMs.high),
      medium: seconds(env, 'WARDLINE_ESCALATE_MEDIUM_SECONDS', d.escalateAfterMs.medium),
      low: seconds(env, 'WARDLINE_ESCALATE_LOW_SECONDS', d.escalateAfterMs.low),
    },
    levels: levelsFromEnv(env),
    deviceVitalsMaxAgeMs: need('WARDLINE_NEWS2_DEVICE_MAX_AGE_SECONDS', d.deviceVitalsMaxAgeMs),
    manualObservationsMaxAgeMs: need('WARDLINE_NEWS2_MANUAL_MAX_AGE_SECONDS', d.manualObservationsMaxAgeMs),
    readingGraceMs: need('WARDLINE_READING_GRACE_SECONDS', d.readingGraceMs),
    deviceSilentMs: need('WARDLINE_DEVICE_SILENT_SECONDS', d.deviceSilentMs),
    gatewayOfflineGraceMs: need('WARDLINE_GATEWAY_OFFLINE_GRACE_SECONDS', d.gatewayOfflineGraceMs),
    tickMs: need('WARDLINE_ALERT_TICK_SECONDS', d.tickMs),
    bpConfirmMs: d.bpConfirmMs,
    thresholdResolveMs: d.thresholdResolveMs,
    fallIncidentWindowMs: need('WARDLINE_FALL_INCIDENT_WINDOW_SECONDS', d.fallIncidentWindowMs),
    longLieUnacknowledgedMs: need('WARDLINE_LONG_LIE_UNACKNOWLEDGED_SECONDS', d.longLieUnacknowledgedMs),
    longLieMs: need('WARDLINE_LONG_LIE_SECONDS', d.longLieMs),
    postFallObservationMinutes: minutesList(
      'WARDLINE_POST_FALL_OBSERVATION_MINUTES',
      env.WARDLINE_POST_FALL_OBSERVATION_MINUTES,
      d.postFallObservationMinutes,
    ),
    smtp: smtpHost
      ? {
          host: smtpHost,
          port: port(env.WARDLINE_SMTP_PORT),
          secure: env.WARDLINE_SMTP_SECURE === '1',
          ...(env.WARDLINE_SMTP_USER ? { user: env.WARDLINE_SMTP_USER } : {}),
          ...(env.WARDLINE_SMTP_PASSWORD ? { password: env.WARDLINE_SMTP_PASSWORD } : {}),
          from: env.WARDLINE_SMTP_FROM ?? 'Wardline <alerts@wardline.invalid>',
        }
      : null,
    webhookSecret: env.WARDLINE_WEBHOOK_SECRET || null,
    smsWebhookUrl: env.WARDLINE_SMS_WEBHOOK_URL || null,
    recipientMinGapMs: need('WARDLINE_NOTIFY_MIN_GAP_SECONDS', d.recipientMinGapMs),
    retryBaseMs: need('WARDLINE_NOTIFY_RETRY_BASE_SECONDS', d.retryBaseMs),
    maxAttempts: count('WARDLINE_NOTIFY_MAX_ATTEMPTS', env.WARDLINE_NOTIFY_MAX_ATTEMPTS, d.maxAttempts),
  };
}
