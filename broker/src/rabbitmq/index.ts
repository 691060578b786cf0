export {
  startRabbitAuthService,
  DEFAULT_EXCHANGE,
  DEFAULT_RABBIT_AUTH_HOST,
  DEFAULT_RABBIT_AUTH_PORT,
  DEFAULT_VHOST,
  type RabbitAuthHealth,
  type RabbitAuthServiceOptions,
  type RunningRabbitAuthService,
} from './service.js';
export { loadRabbitAuthConfig, type RabbitAuthConfig } from './config.js';
export { RabbitRefusalCode } from './codes.js';
