import { loadConfig, type BrokerConfig } from '../config.js';
import { BrokerError, BrokerErrorCode } from '../errors.js';
import {
  DEFAULT_EXCHANGE,
  DEFAULT_RABBIT_AUTH_HOST,
  DEFAULT_RABBIT_AUTH_PORT,
  DEFAULT_VHOST,
} from './service.js';

export interface RabbitAuthConfig {
  /** The users file, kit credentials feed, password-check bounds and log level, as for the aedes broker. */
  broker: BrokerConfig;
  host: string;
  port: number;
  vhost: string;
  exchange: string;
}

/**
 * The aedes broker's variables for who may connect (WARDLINE_BROKER_USERS_FILE, the credentials
 * feed, WARDLINE_BROKER_AUTH_*, LOG_LEVEL), plus where this service listens and which vhost and
 * exchange RabbitMQ's MQTT plugin uses (mqtt.vhost, mqtt.exchange in rabbitmq.conf).
 */
export function loadRabbitAuthConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): RabbitAuthConfig {
  const broker = loadConfig(env);
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const portText = read('WARDLINE_RABBITMQ_AUTH_PORT');
  const port =
    portText === undefined
      ? DEFAULT_RABBIT_AUTH_PORT
      : /^[0-9]{1,5}$/.test(portText)
        ? Number(portText)
        : NaN;
  if (!(port >= 0 && port <= 65_535)) {
    throw new BrokerError(
      BrokerErrorCode.configInvalid,
      `WARDLINE_RABBITMQ_AUTH_PORT must be a port from 0 to 65535, got "${portText}": fix it, or unset it for ${DEFAULT_RABBIT_AUTH_PORT}`,
    );
  }
  return {
    broker,
    // Loopback unless told otherwise: only RabbitMQ nodes should ever ask.
    host: read('WARDLINE_RABBITMQ_AUTH_HOST') ?? DEFAULT_RABBIT_AUTH_HOST,
    port,
    vhost: read('WARDLINE_RABBITMQ_VHOST') ?? DEFAULT_VHOST,
    exchange: read('WARDLINE_RABBITMQ_EXCHANGE') ?? DEFAULT_EXCHANGE,
  };
}
