export {
  startBroker,
  DEFAULT_HEALTH_PORT,
  DEFAULT_HOST,
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_MAX_SERVER_CONNECTIONS,
  DEFAULT_MQTT_PORT,
  DEFAULT_MQTT_TLS_PORT,
  type RunningBroker,
  type StartBrokerOptions,
  type TlsListenerOptions,
} from './broker.js';
export { loadConfig, type BrokerConfig, type LogLevel } from './config.js';
export { fetchBrokerSnapshot, SNAPSHOT_PATH, type FetchSnapshotOptions } from './admin.js';
export {
  assertBrokerDataNotInUse,
  BrokerDataInUseError,
  inspectBrokerData,
  SnapshotError,
  type BrokerDataCounts,
  type SnapshotSummary,
} from './snapshot.js';
export {
  BrokerError,
  BrokerErrorCode,
  ConnackCode,
  RefusalCode,
  RefusalError,
  refusalDescriptions,
} from './errors.js';
export { DEFAULT_AUTH_LIMITS, type AuthLimits, type AuthStats } from './authenticator.js';
export type { HealthReport } from './health.js';
export type { ConnectionCounts } from './identity-connections.js';
export {
  hashPassword,
  verifyPassword,
  hashKitSecret,
  verifyKitSecret,
  isKitSecretHash,
  DEFAULT_SCRYPT_COST,
  type ScryptCost,
} from './password.js';
export {
  CredentialReplica,
  type CredentialReplicaOptions,
  type ReplicaStatus,
} from './credential-replica.js';
export {
  SERVER_CLIENT_ID_PREFIX,
  type Identity,
  type GatewayIdentity,
  type ServerIdentity,
} from './policy.js';
export { DEFAULT_PUBLISH_RATE_LIMITS, type PublishRateLimits, type RateLimit } from './publish-throttle.js';
export type { RefusalCounts } from './refusals.js';
export {
  UserRegistry,
  LayeredUsers,
  type UserDirectory,
  loadUsersFile,
  parseUsersFile,
  type GatewayUser,
  type Role,
  type ServerUser,
  type UserEntry,
  type UsersFile,
} from './users.js';
