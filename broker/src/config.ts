import { dirname, join } from 'node:path';
import { MAX_PAYLOAD_BYTES } from '@wardline/protocol';
import { MIN_ADMIN_TOKEN_LENGTH } from './admin.js';
import { DEFAULT_AUTH_LIMITS, type AuthLimits } from './authenticator.js';
import {
  DEFAULT_HEALTH_PORT,
  DEFAULT_HOST,
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_MAX_SERVER_CONNECTIONS,
  DEFAULT_MQTT_PORT,
  DEFAULT_MQTT_TLS_PORT,
} from './broker.js';
import { DEFAULT_BACKOFF } from './connect-backoff.js';
import { BrokerError, BrokerErrorCode } from './errors.js';
import { DEFAULT_PUBLISH_RATE_LIMITS, type PublishRateLimits } from './publish-throttle.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** [MQTT-2.2.3] the largest remaining length a packet can announce. */
const MQTT_MAX_PACKET_BYTES = 268_435_455;

export interface BrokerConfig {
  host: string;
  port: number;
  tls: { host: string; port: number; keyPath: string; certPath: string } | null;
  healthHost: string;
  healthPort: number;
  usersFile: string;
  maxPayloadBytes: number;
  /** Durable sessions and queued messages; null keeps them in memory. */
  dataDir: string | null;
  auth: Required<Pick<AuthLimits, 'hashConcurrency' | 'hashQueue' | 'verifiedTtlMs'>> & {
    backoff: { failuresBeforeBackoff: number; maxBackoffMs: number };
  };
  maxServerConnections: number;
  publishRates: PublishRateLimits;
  logLevel: LogLevel;
  /** Bearer token for POST /admin/snapshot on the health port; null turns the endpoint off. */
  adminToken: string | null;
  /** The server's kit credentials feed to replicate; null: the users file alone. */
  credentials: {
    url: string;
    token: string;
    /** The kept copy, owner-only, beside the users file unless set. */
    file: string;
    intervalMs: number;
  } | null;
}

/** Reads the environment; throws one BrokerError listing every problem found. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): BrokerConfig {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const text = read(name);
    if (text === undefined) return fallback;
    const value = /^[0-9]+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      problems.push(
        `${name} must be an integer from ${min} to ${max}, got "${text}": fix it, or unset it for the default, ${fallback}`,
      );
      return fallback;
    }
    return value;
  };
  const port = (name: string, fallback: number): number => integer(name, fallback, 0, 65_535);

  const host = read('MQTT_HOST') ?? DEFAULT_HOST;
  const mqttPort = port('MQTT_PORT', DEFAULT_MQTT_PORT);

  const keyPath = read('MQTT_TLS_KEY');
  const certPath = read('MQTT_TLS_CERT');
  const tlsPort = port('MQTT_TLS_PORT', DEFAULT_MQTT_TLS_PORT);
  let tls: BrokerConfig['tls'] = null;
  if (keyPath !== undefined && certPath !== undefined) {
    tls = { host: read('MQTT_TLS_HOST') ?? host, port: tlsPort, keyPath, certPath };
  } else if (keyPath !== undefined || certPath !== undefined) {
    problems.push(
      'MQTT_TLS_KEY and MQTT_TLS_CERT must be set together: set both (key and certificate files) for MQTT over TLS, or neither',
    );
  } else if (read('MQTT_TLS_PORT') !== undefined || read('MQTT_TLS_HOST') !== undefined) {
    problems.push(
      'MQTT_TLS_PORT and MQTT_TLS_HOST need MQTT_TLS_KEY and MQTT_TLS_CERT: set those too, or unset the TLS port and host',
    );
  }

  const usersFile = read('WARDLINE_BROKER_USERS_FILE');
  if (usersFile === undefined) {
    problems.push(
      'WARDLINE_BROKER_USERS_FILE is not set: set it to the users file (the broker has no anonymous access; ' +
        'npm start writes one to .wardline/broker-users.json, and hash-password makes the hashes)',
    );
  }

  // Below the contract's limit the broker would refuse messages the server must accept.
  const maxPayloadBytes = integer(
    'WARDLINE_BROKER_MAX_PAYLOAD_BYTES',
    DEFAULT_MAX_PAYLOAD_BYTES,
    MAX_PAYLOAD_BYTES,
    MQTT_MAX_PACKET_BYTES,
  );

  const auth: BrokerConfig['auth'] = {
    hashConcurrency: integer('WARDLINE_BROKER_AUTH_CONCURRENCY', DEFAULT_AUTH_LIMITS.hashConcurrency, 1, 64),
    hashQueue: integer('WARDLINE_BROKER_AUTH_QUEUE', DEFAULT_AUTH_LIMITS.hashQueue, 0, 100_000),
    verifiedTtlMs:
      integer('WARDLINE_BROKER_VERIFIED_TTL_SECONDS', DEFAULT_AUTH_LIMITS.verifiedTtlMs / 1000, 0, 86_400) *
      1000,
    backoff: {
      failuresBeforeBackoff: integer(
        'WARDLINE_BROKER_BACKOFF_AFTER_FAILURES',
        DEFAULT_BACKOFF.failuresBeforeBackoff,
        1,
        1000,
      ),
      maxBackoffMs:
        integer('WARDLINE_BROKER_BACKOFF_MAX_SECONDS', DEFAULT_BACKOFF.maxBackoffMs / 1000, 1, 86_400) * 1000,
    },
  };
  const rate = (prefix: string, fallback: PublishRateLimits['routine']): PublishRateLimits['routine'] => ({
    perSecond: integer(`${prefix}_RATE`, fallback.perSecond, 1, 1_000_000),
    burst: integer(`${prefix}_BURST`, fallback.burst, 1, 1_000_000),
    bytes: {
      perSecond: integer(`${prefix}_BYTES_RATE`, fallback.bytes?.perSecond ?? 256 * 1024, 1024, 2 ** 30),
      burst: integer(`${prefix}_BYTES_BURST`, fallback.bytes?.burst ?? 1024 * 1024, 1024, 2 ** 30),
    },
  });
  const publishRates: PublishRateLimits = {
    routine: rate('WARDLINE_BROKER_PUBLISH', DEFAULT_PUBLISH_RATE_LIMITS.routine),
    urgent: rate('WARDLINE_BROKER_URGENT', DEFAULT_PUBLISH_RATE_LIMITS.urgent),
  };
  const maxServerConnections = integer(
    'WARDLINE_BROKER_MAX_SERVER_CONNECTIONS',
    DEFAULT_MAX_SERVER_CONNECTIONS,
    2,
    1000,
  );

  const adminToken = read('WARDLINE_BROKER_ADMIN_TOKEN') ?? null;
  if (adminToken !== null && adminToken.length < MIN_ADMIN_TOKEN_LENGTH) {
    problems.push(
      `WARDLINE_BROKER_ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters (e.g. openssl rand -hex 32)`,
    );
  }

  const credentialsUrl = read('WARDLINE_CREDENTIALS_URL');
  const syncToken = read('WARDLINE_BROKER_SYNC_TOKEN');
  let credentials: BrokerConfig['credentials'] = null;
  if (credentialsUrl !== undefined || syncToken !== undefined) {
    if (credentialsUrl === undefined || syncToken === undefined) {
      problems.push(
        "WARDLINE_CREDENTIALS_URL and WARDLINE_BROKER_SYNC_TOKEN must be set together: the server's " +
          'credentials feed (http://server:8080/api/internal/broker/credentials) and the token it expects',
      );
    } else if (!/^https?:\/\//.test(credentialsUrl)) {
      problems.push(`WARDLINE_CREDENTIALS_URL must be an http(s) URL, got "${credentialsUrl}"`);
    } else if (syncToken.length < MIN_ADMIN_TOKEN_LENGTH) {
      problems.push(
        `WARDLINE_BROKER_SYNC_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters (e.g. openssl rand -hex 32)`,
      );
    } else {
      credentials = {
        url: credentialsUrl,
        token: syncToken,
        // The broker's own state directory when it has one: the users file may be mounted read-only.
        file:
          read('WARDLINE_BROKER_CREDENTIALS_FILE') ??
          join(
            read('WARDLINE_BROKER_DATA_DIR') ?? dirname(usersFile ?? '.'),
            'broker-credentials.replica.json',
          ),
        intervalMs: integer('WARDLINE_CREDENTIALS_POLL_MS', 1000, 100, 60_000),
      };
    }
  }

  const logLevelText = read('LOG_LEVEL') ?? 'info';
  const logLevel = LOG_LEVELS.find((level) => level === logLevelText);
  if (logLevel === undefined)
    problems.push(
      `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevelText}": fix it, or unset it for info`,
    );

  const config: BrokerConfig = {
    host,
    port: mqttPort,
    tls,
    healthHost: read('BROKER_HEALTH_HOST') ?? host,
    healthPort: port('BROKER_HEALTH_PORT', DEFAULT_HEALTH_PORT),
    usersFile: usersFile ?? '',
    maxPayloadBytes,
    dataDir: read('WARDLINE_BROKER_DATA_DIR') ?? null,
    auth,
    maxServerConnections,
    publishRates,
    logLevel: logLevel ?? 'info',
    adminToken,
    credentials,
  };
  if (problems.length > 0) {
    throw new BrokerError(
      BrokerErrorCode.configInvalid,
      `invalid broker configuration:\n  - ${problems.join('\n  - ')}`,
    );
  }
  return config;
}
