/**
 * One aedes node of a cluster as the aedes README lays it out: messages cross nodes through
 * mqemitter-redis, sessions and offline queues live in aedes-persistence-redis, both on one
 * Redis. Run as its own process by `aedes-cluster.ts`; prints `ready` once it listens.
 */
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import redisPersistence from 'aedes-persistence-redis';
import mqemitterRedis from 'mqemitter-redis';

const port = Number(process.env.AEDES_PORT);
const redis = { host: '127.0.0.1', port: Number(process.env.REDIS_PORT) };
const broker = await Aedes.createBroker({
  id: process.env.AEDES_ID,
  mq: mqemitterRedis(redis),
  persistence: redisPersistence({
    ...redis,
    // The default (1,000) hands a reconnecting persistent session only its first 1,000 queued
    // messages; a server replica that was away for a minute has far more.
    maxSessionDelivery: Number(process.env.MAX_SESSION_DELIVERY ?? 1_000_000),
  }),
});
const server = createServer(broker.handle);
server.listen(port, '127.0.0.1', () => console.log('ready'));
process.once('SIGTERM', () => {
  server.close();
  broker.close(() => process.exit(0));
});
