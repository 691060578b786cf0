import pino from 'pino';
import { startBroker } from './broker.js';
import { loadConfig } from './config.js';
import { CredentialReplica } from './credential-replica.js';
import { BrokerError } from './errors.js';
import { loadUsersFile } from './users.js';

async function main(): Promise<void> {
  // Owner-only files: the data directory holds patients' readings waiting for delivery.
  process.umask(0o077);
  const config = loadConfig();
  const logger = pino({ name: 'wardline-broker', level: config.logLevel });
  const users = await loadUsersFile(config.usersFile);
  const credentials = config.credentials
    ? new CredentialReplica({
        url: config.credentials.url,
        token: config.credentials.token,
        file: config.credentials.file,
        intervalMs: config.credentials.intervalMs,
        logger,
      })
    : undefined;
  // Before listening: hubs known from the kept copy are admitted from the first CONNECT.
  await credentials?.start();
  const broker = await startBroker({
    users,
    ...(credentials ? { credentials } : {}),
    host: config.host,
    port: config.port,
    ...(config.tls ? { tls: config.tls } : {}),
    healthHost: config.healthHost,
    healthPort: config.healthPort,
    maxPayloadBytes: config.maxPayloadBytes,
    ...(config.dataDir ? { dataDir: config.dataDir } : {}),
    auth: config.auth,
    maxServerConnections: config.maxServerConnections,
    publishRates: config.publishRates,
    ...(config.adminToken ? { adminToken: config.adminToken } : {}),
    logger,
  });

  const stop = (signal: NodeJS.Signals): void => {
    logger.info({ event: 'stopping', signal }, `${signal} received, closing the broker`);
    credentials?.stop();
    broker.close().then(
      () => {
        logger.info({ event: 'stopped' }, 'broker closed');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'broker did not close cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** Which variable sets the port a listen failed on, for a message that says what to change. */
function portVariable(port: number | undefined): string {
  try {
    const config = loadConfig();
    if (port === config.port) return 'MQTT_PORT';
    if (port === config.healthPort) return 'BROKER_HEALTH_PORT';
    if (port === config.tls?.port) return 'MQTT_TLS_PORT';
  } catch {
    // the configuration was the problem; reported as such
  }
  return 'MQTT_PORT, BROKER_HEALTH_PORT or MQTT_TLS_PORT';
}

main().catch((error: unknown) => {
  const listen = error as NodeJS.ErrnoException & { port?: number; address?: string };
  if (error instanceof BrokerError) {
    console.error(`wardline broker: ${error.message}`);
  } else if (listen.code === 'EADDRINUSE' || listen.code === 'EACCES') {
    const problem = listen.code === 'EADDRINUSE' ? 'is in use' : 'needs privileges this process lacks';
    console.error(
      `wardline broker: port ${listen.port} on ${listen.address} ${problem}: ` +
        `stop the program using it, or set ${portVariable(listen.port)} to another port`,
    );
  } else {
    console.error('wardline broker failed to start:', error);
  }
  process.exit(1);
});
