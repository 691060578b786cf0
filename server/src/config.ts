import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alertingConfigFromEnv, type AlertingConfig } from './alerts/config.js';
import { oidcProvidersFromEnv, type OidcProviderConfig } from './auth/oidc/config.js';
import { AUDIT_DEFAULT_RETENTION_DAYS, AUDIT_MINIMUM_RETENTION_DAYS } from './audit/retention.js';
import type { KitRouteOptions } from './routes/kits.js';
import { accountsConfigFromEnv, type AccountsConfig } from './staff/accounts-config.js';
import { normalisePublicUrl } from './web/origin.js';
import type { InfluxSettings } from './timeseries/influx-client.js';

export interface ServerConfig {
  host: string;
  port: number;
  /**
   * Where browsers reach the server (WARDLINE_PUBLIC_URL): the only Origin accepted on
   * state-changing requests and the base of FHIR links. Absent: http://127.0.0.1:{bound port}.
   */
  publicUrl?: string | null;
  /**
   * Reverse proxies in front of the server whose X-Forwarded-For is believed
   * (WARDLINE_TRUST_PROXY, a hop count; 0 or unset: none). Behind a proxy without it, every
   * browser shares the proxy's address, so one attacker's failed sign-ins would lock out everyone.
   */
  trustProxyHops?: number;
  databasePath: string;
  /**
   * PostgreSQL for the records (`WARDLINE_DATABASE_URL=postgres://…`), shared by several server
   * replicas; null keeps them in the SQLite file at `databasePath`.
   */
  databaseUrl?: string | null;
  dashboardDir: string;
  mqtt: {
    url: string;
    clientId: string;
    username: string;
    password: string;
    caPath?: string;
    /**
     * The broker is a RabbitMQ cluster (the highly available shape): ingest comes from its quorum
     * queues over AMQP at these node URLs, tried in turn, with the same user name and password.
     */
    amqpUrls?: string[];
  } | null;
  /** Seed demo wards, residents, devices and users on first start of an empty database. */
  demo: boolean;
  /** Set the Secure flag on the session cookie (behind HTTPS). */
  secureCookies: boolean;
  logLevel: string;
  /** InfluxDB adapter for time series; absent means the embedded store (SQLite) alone. */
  influx?: InfluxConfig | null;
  /** Days of observations the embedded store keeps; absent or null keeps them forever. */
  retentionDays?: number | null;
  /** Alert escalation, freshness windows and notification channels; absent means the defaults. */
  alerting?: AlertingConfig;
  /** Single sign-on providers (WARDLINE_OIDC_CONFIG); absent or empty: local accounts only. */
  oidcProviders?: OidcProviderConfig[];
  /**
   * Session idle timeout and lifetime (WARDLINE_SESSION_IDLE_MINUTES, WARDLINE_SESSION_MAX_HOURS),
   * one-time link lifetimes, the key sealing TOTP secrets (WARDLINE_SECRETS_KEY); absent: defaults.
   */
  accounts?: AccountsConfig;
  /** Days audit events are kept (WARDLINE_AUDIT_RETENTION_DAYS, at least 30); absent: 8 years. */
  auditRetentionDays?: number;
  /**
   * Gateway kits: the broker URL written into provisioning files (WARDLINE_GATEWAY_MQTT_URL; absent:
   * the server's own MQTT URL), or several for failover (WARDLINE_GATEWAY_MQTT_URLS, a comma list),
   * and the broker's credentials-feed token (WARDLINE_BROKER_SYNC_TOKEN; absent: the feed lets
   * nobody in).
   */
  kits?: KitRouteOptions;
}

export interface InfluxConfig extends InfluxSettings {
  /** Most points waiting in the durable spool before ingest stops acknowledging MQTT. */
  spoolLimit: number;
  /** Points per write request. */
  batchSize: number;
}

const defaultDashboardDir = fileURLToPath(new URL('../../dashboard/dist', import.meta.url));

function integer(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(
      `${name} must be a port number from 0 to 65535, got "${value}": set it to a free port, or unset it for the default, ${fallback}`,
    );
  return n;
}

function positive(
  name: string,
  value: string | undefined,
  fallback: number,
  unset = `the default, ${fallback}`,
): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(
      `${name} must be a whole number of 1 or more, got "${value}": fix it, or unset it for ${unset}`,
    );
  return n;
}

function influxFromEnv(env: NodeJS.ProcessEnv): InfluxConfig | null {
  const url = env.WARDLINE_INFLUX_URL;
  if (!url) return null;
  const bucket = env.WARDLINE_INFLUX_BUCKET ?? 'wardline';
  return {
    url,
    token: env.WARDLINE_INFLUX_TOKEN ?? '',
    org: env.WARDLINE_INFLUX_ORG ?? '',
    bucket,
    database: env.WARDLINE_INFLUX_DATABASE ?? bucket.split('/')[0] ?? bucket,
    timeoutMs: positive('WARDLINE_INFLUX_TIMEOUT_MS', env.WARDLINE_INFLUX_TIMEOUT_MS, 10_000),
    spoolLimit: positive('WARDLINE_INFLUX_SPOOL_LIMIT', env.WARDLINE_INFLUX_SPOOL_LIMIT, 5_000_000),
    batchSize: positive('WARDLINE_INFLUX_BATCH_SIZE', env.WARDLINE_INFLUX_BATCH_SIZE, 5000),
  };
}

function databaseUrl(value: string | undefined): string | null {
  const url = value?.trim();
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('WARDLINE_DATABASE_URL is not a URL: give postgres://user:password@host:port/database');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new Error(
      `WARDLINE_DATABASE_URL must be a postgres:// URL (got ${parsed.protocol}//); ` +
        'leave it unset to keep the records in the SQLite file (WARDLINE_DB_PATH)',
    );
  }
  if (!parsed.pathname || parsed.pathname === '/') {
    throw new Error('WARDLINE_DATABASE_URL names no database: add /<database> after the host');
  }
  return url;
}

/** Reads configuration from the environment; secrets come only from there. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const mqttPassword = env.WARDLINE_MQTT_PASSWORD;
  const mqttUrl = env.WARDLINE_MQTT_URL ?? `mqtt://127.0.0.1:${env.MQTT_PORT ?? '1883'}`;
  if (env.WARDLINE_MQTT_DISABLED !== '1' && !mqttPassword) {
    throw new Error(
      "WARDLINE_MQTT_PASSWORD is not set: set it to the server's MQTT password, the one the broker's users " +
        'file holds for wardline-server (npm start writes one to .wardline/demo-secrets.json), ' +
        'or set WARDLINE_MQTT_DISABLED=1 to run without MQTT',
    );
  }
  return {
    // Loopback unless told otherwise: exposing the server is a deployment decision (compose sets 0.0.0.0).
    host: env.HOST ?? '127.0.0.1',
    port: integer('PORT', env.PORT, 8080),
    publicUrl: env.WARDLINE_PUBLIC_URL ? normalisePublicUrl(env.WARDLINE_PUBLIC_URL) : null,
    trustProxyHops: env.WARDLINE_TRUST_PROXY
      ? positive('WARDLINE_TRUST_PROXY', env.WARDLINE_TRUST_PROXY, 1, 'no proxy trusted')
      : 0,
    databasePath: resolve(env.WARDLINE_DB_PATH ?? '.wardline/server/wardline.db'),
    databaseUrl: databaseUrl(env.WARDLINE_DATABASE_URL),
    dashboardDir: resolve(env.WARDLINE_DASHBOARD_DIR ?? defaultDashboardDir),
    mqtt:
      env.WARDLINE_MQTT_DISABLED === '1'
        ? null
        : {
            url: mqttUrl,
            clientId: env.WARDLINE_MQTT_CLIENT_ID ?? 'wardline-server',
            username: env.WARDLINE_MQTT_USERNAME ?? 'wardline-server',
            password: mqttPassword ?? '',
            ...(env.WARDLINE_MQTT_CA ? { caPath: env.WARDLINE_MQTT_CA } : {}),
            ...(env.WARDLINE_AMQP_URLS ? { amqpUrls: amqpUrls(env.WARDLINE_AMQP_URLS) } : {}),
          },
    demo: env.WARDLINE_DEMO === '1',
    secureCookies: env.WARDLINE_SECURE_COOKIES === '1',
    logLevel: env.LOG_LEVEL ?? 'info',
    alerting: alertingConfigFromEnv(env),
    oidcProviders: oidcProvidersFromEnv(env),
    accounts: accountsConfigFromEnv(env),
    influx: influxFromEnv(env),
    retentionDays: env.WARDLINE_RETENTION_DAYS
      ? positive('WARDLINE_RETENTION_DAYS', env.WARDLINE_RETENTION_DAYS, 1, 'keeping observations forever')
      : null,
    auditRetentionDays: auditRetentionDays(env.WARDLINE_AUDIT_RETENTION_DAYS),
    kits: {
      ...gatewayBrokers(env, mqttUrl),
      brokerSyncToken: env.WARDLINE_BROKER_SYNC_TOKEN?.trim() || null,
    },
  };
}

/** RabbitMQ nodes for ingest: amqp(s):// URLs, no credentials in them (those come from their own variables). */
function amqpUrls(value: string): string[] {
  const urls = value.split(',').map((u) => u.trim());
  for (const url of urls) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(
        `WARDLINE_AMQP_URLS has an entry that is not a URL: give amqp://host:port entries separated by commas`,
      );
    }
    if (parsed.protocol !== 'amqp:' && parsed.protocol !== 'amqps:') {
      throw new Error(
        `WARDLINE_AMQP_URLS entries must be amqp:// or amqps:// URLs (got ${parsed.protocol}//)`,
      );
    }
    if (parsed.username || parsed.password) {
      throw new Error(
        'WARDLINE_AMQP_URLS must not carry credentials: the server uses WARDLINE_MQTT_USERNAME and WARDLINE_MQTT_PASSWORD',
      );
    }
  }
  return urls;
}

/** The broker URL(s) for kits' provisioning files: one, or a failover list (its first is also mqttUrl). */
function gatewayBrokers(env: NodeJS.ProcessEnv, serverMqttUrl: string) {
  const single = env.WARDLINE_GATEWAY_MQTT_URL;
  if (!env.WARDLINE_GATEWAY_MQTT_URLS) return { gatewayMqttUrl: single ?? serverMqttUrl };
  const urls = env.WARDLINE_GATEWAY_MQTT_URLS.split(',').map((u) => u.trim());
  if (urls.some((u) => u === '')) {
    throw new Error('WARDLINE_GATEWAY_MQTT_URLS has an empty entry: give broker URLs separated by commas');
  }
  if (single && single !== urls[0]) {
    throw new Error(
      'WARDLINE_GATEWAY_MQTT_URL and WARDLINE_GATEWAY_MQTT_URLS disagree: set WARDLINE_GATEWAY_MQTT_URLS alone',
    );
  }
  return { gatewayMqttUrl: urls[0]!, gatewayMqttUrls: urls };
}

function auditRetentionDays(value: string | undefined): number {
  const days = positive('WARDLINE_AUDIT_RETENTION_DAYS', value, AUDIT_DEFAULT_RETENTION_DAYS);
  if (days < AUDIT_MINIMUM_RETENTION_DAYS)
    throw new Error(
      `WARDLINE_AUDIT_RETENTION_DAYS must be at least ${AUDIT_MINIMUM_RETENTION_DAYS} (the audit table refuses ` +
        `to delete younger events), got "${value}": raise it, or unset it for the default, ${AUDIT_DEFAULT_RETENTION_DAYS}`,
    );
  return days;
}
