/**
 * The HTTP auth backend for RabbitMQ nodes (broker/rabbitmq/rabbitmq.conf points at it):
 * `npm run start:rabbitmq-auth -w broker`. Same users file and kit credentials feed as the aedes
 * broker; one per RabbitMQ node (on its loopback) or one shared, on a private network.
 */
import pino from 'pino';
import { CredentialReplica } from '../credential-replica.js';
import { BrokerError } from '../errors.js';
import { LayeredUsers, loadUsersFile } from '../users.js';
import { loadRabbitAuthConfig } from './config.js';
import { startRabbitAuthService } from './service.js';

async function main(): Promise<void> {
  process.umask(0o077);
  const config = loadRabbitAuthConfig();
  const logger = pino({ name: 'wardline-rabbitmq-auth', level: config.broker.logLevel });
  const file = await loadUsersFile(config.broker.usersFile);
  const feed = config.broker.credentials;
  const credentials = feed
    ? new CredentialReplica({
        url: feed.url,
        token: feed.token,
        file: feed.file,
        intervalMs: feed.intervalMs,
        logger,
      })
    : undefined;
  await credentials?.start();
  const service = await startRabbitAuthService({
    users: credentials ? new LayeredUsers(file, credentials) : file,
    ...(credentials ? { credentials } : {}),
    host: config.host,
    port: config.port,
    vhost: config.vhost,
    exchange: config.exchange,
    auth: config.broker.auth,
    logger,
  });
  logger.info({ event: 'listening', url: service.url }, `RabbitMQ auth backend listening on ${service.url}`);

  const stop = (signal: NodeJS.Signals): void => {
    logger.info({ event: 'stopping', signal }, `${signal} received, closing`);
    credentials?.stop();
    void service.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  const listen = error as NodeJS.ErrnoException & { port?: number; address?: string };
  if (error instanceof BrokerError) console.error(`wardline rabbitmq-auth: ${error.message}`);
  else if (listen.code === 'EADDRINUSE' || listen.code === 'EACCES')
    console.error(
      `wardline rabbitmq-auth: cannot listen on ${listen.address}:${listen.port} (${listen.code}): ` +
        'stop the program using it, or set WARDLINE_RABBITMQ_AUTH_PORT to another port',
    );
  else console.error('wardline rabbitmq-auth failed to start:', error);
  process.exit(1);
});
