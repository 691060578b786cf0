/**
 * Live updates across server replicas: socket.io's official PostgreSQL adapter carries every room
 * broadcast to the other replicas over LISTEN/NOTIFY (payloads over NOTIFY's 8,000 bytes through
 * the `socket_io_attachments` table), so a nurse connected to one replica sees readings another
 * replica ingested. The adapter holds one connection of the pool for its LISTEN.
 */
import { createAdapter } from '@socket.io/postgres-adapter';
import type { FastifyBaseLogger } from 'fastify';
import type { SqlDatabase } from '../db/engines/engine.js';
import type { PostgresDatabase } from '../db/engines/postgres/index.js';
import type { RealtimeOptions } from './hub.js';

export function replicaAdapter(sql: SqlDatabase, log: FastifyBaseLogger): RealtimeOptions {
  if (sql.dialect.name !== 'postgres') return {};
  const { pool } = sql as PostgresDatabase;
  return {
    adapter: createAdapter(pool, {
      errorHandler: (error) =>
        log.warn({ component: 'realtime', err: error }, 'live updates between replicas interrupted'),
    }),
  };
}
