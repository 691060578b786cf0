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

const RELISTEN_SETTLE_MS = 500;

export function replicaAdapter(sql: SqlDatabase, log: FastifyBaseLogger): RealtimeOptions {
  if (sql.dialect.name !== 'postgres') return {};
  const { pool } = sql as PostgresDatabase;
  const relistened: (() => void)[] = [];
  // The adapter takes its LISTEN connection from the pool once at start and again each time it
  // lost it; what other replicas sent meanwhile never arrives. A later take is the sign to tell this
  // replica's screens to reload (after a moment, for its LISTEN statements to be in place).
  let takes = 0;
  const listening = new Proxy(pool, {
    get(target, property) {
      if (property === 'connect')
        return async () => {
          const client = await target.connect();
          // The adapter drops a connection that ended (PostgreSQL restarted) without giving it back,
          // and the pool would wait for it for ever at shutdown. (Its close() removes this listener
          // before it releases the connection it holds.)
          client.once('end', () => client.release(true));
          if (takes++ > 0) {
            log.warn({ component: 'realtime' }, 'live updates between replicas resumed; screens here reload');
            setTimeout(() => relistened.forEach((listener) => listener()), RELISTEN_SETTLE_MS).unref();
          }
          return client;
        };
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    relistened: (listener) => relistened.push(listener),
    adapter: createAdapter(listening, {
      errorHandler: (error) =>
        log.warn({ component: 'realtime', err: error }, 'live updates between replicas interrupted'),
    }),
  };
}
