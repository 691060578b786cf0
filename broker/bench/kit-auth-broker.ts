/**
 * The broker under test for kit-auth.bench.ts, in a process of its own so that its CPU is its own
 * and the load generators do not compete with it inside one event loop. Talks to the bench over IPC.
 */
import pino from 'pino';
import { startBroker } from '../src/broker.js';
import { CredentialReplica } from '../src/credential-replica.js';
import { loadUsersFile } from '../src/users.js';

const { usersFile, feedUrl, token, expectKits } = JSON.parse(process.env.KIT_AUTH_BROKER!) as {
  usersFile: string;
  feedUrl?: string;
  token?: string;
  expectKits?: number;
};
const logger = pino({ level: 'silent' });
const users = await loadUsersFile(usersFile);
const credentials =
  feedUrl && token ? new CredentialReplica({ url: feedUrl, token, logger, intervalMs: 1000 }) : undefined;
await credentials?.start();
if (credentials && credentials.status().users !== expectKits) {
  throw new Error(`the replica holds ${credentials.status().users} kits, expected ${expectKits}`);
}
const broker = await startBroker({
  users,
  ...(credentials ? { credentials } : {}),
  host: '127.0.0.1',
  port: 0,
  healthPort: 0,
  logger,
});

let cpuStart = process.cpuUsage();
process.on('message', (message: string) => {
  if (message === 'cpu-start') cpuStart = process.cpuUsage();
  if (message === 'cpu-stop') {
    const used = process.cpuUsage(cpuStart);
    process.send!({ cpu: used, health: broker.health() });
  }
  if (message === 'exit') {
    credentials?.stop();
    void broker.close().then(() => process.exit(0));
  }
});
process.send!({ port: broker.port });
