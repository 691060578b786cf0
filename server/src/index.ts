export { startServer, type RunningServer, type StartOptions } from './server.js';
export { configFromEnv, type ServerConfig } from './config.js';
export type { SeedWard } from './demo/seed.js';
export { defaultAlertingConfig, type AlertingConfig } from './alerts/config.js';
export { verifyWebhook, SIGNATURE_HEADER } from './notify/webhook.js';
export { seedDatabaseFile } from './demo/seed-file.js';
export { DatabaseTooNewError } from './db/database.js';
export { oidcProvidersFromEnv, type OidcProviderConfig } from './auth/oidc/config.js';
export {
  assertTopology,
  DEAD_LETTER_QUEUE,
  DELIVERY_LIMIT,
  READINGS_QUEUE,
  URGENT_QUEUE,
} from './amqp/topology.js';
