/**
 * The shared engine: PostgreSQL through a `pg` pool, for several server replicas on one set of
 * records. A transaction holds one pooled connection; queries outside a transaction take any.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import type { ConstraintKind, SqlDatabase, SqlDialect, SqlRunResult, SqlValue } from '../engine.js';
import { numberPlaceholders } from './placeholders.js';

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  greatest: (a, b) => `GREATEST(${a}, ${b})`,
  least: (a, b) => `LEAST(${a}, ${b})`,
  jsonArrayValues: (parameter) =>
    `json_array_elements_text(CAST(${parameter} AS json)) AS json_values(value)`,
  jsonGroupArray: (expression) => `COALESCE(json_agg(${expression}), '[]'::json)::text`,
};

/** SQLSTATE classes of integrity violations. */
const constraintStates: Record<string, ConstraintKind> = {
  '23505': 'unique',
  '23503': 'foreign_key',
  '23514': 'check',
  '23502': 'not_null',
};

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * Counts, sums and 64-bit ids come back as numbers, as they do from SQLite. The records' ids and
 * counts stay far below 2^53; a value that does not fit is an error, not a silently wrong number.
 */
function exactNumber(text: string): number {
  const value = Number(text);
  if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
    throw new RangeError(`integer ${text} is beyond JavaScript's exact range`);
  }
  return value;
}

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if ((oid === INT8_OID || oid === NUMERIC_OID) && format !== 'binary') return exactNumber;
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

interface Transaction {
  client: pg.PoolClient;
  depth: number;
}

export interface PostgresOptions {
  /** Connections this process keeps open at most. */
  poolSize?: number;
  /** Called with errors of idle connections (the server restarted, the network dropped). */
  onConnectionError?: (error: Error) => void;
}

export interface PostgresDatabase extends SqlDatabase {
  readonly pool: pg.Pool;
  /** Where the records are (with its password): for opening another pool on them. */
  readonly url: string;
}

export function postgresDatabase(url: string, options: PostgresOptions = {}): PostgresDatabase {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, types });
  // An idle connection that breaks emits here; without a listener it would end the process.
  pool.on('error', (error) => options.onConnectionError?.(error));
  // A connection that fails while checked out (a transaction between statements, the socket.io
  // adapter's LISTEN) emits the error on its client, where the pool does not listen: unheard, it
  // ends the process, which a PostgreSQL restart did to every replica at once. Reported instead;
  // the next statement on it fails and the pool replaces it.
  pool.on('connect', (client) => client.on('error', (error) => options.onConnectionError?.(error)));
  const scope = new AsyncLocalStorage<Transaction>();
  let ended: Promise<void> | undefined;
  const numbered = new Map<string, string>();
  const text = (sql: string): string => {
    let out = numbered.get(sql);
    if (out === undefined) {
      out = numberPlaceholders(sql);
      if (numbered.size < 2_000) numbered.set(sql, out);
    }
    return out;
  };
  const bind = (params: readonly SqlValue[]): unknown[] =>
    params.map((value) => (typeof value === 'bigint' ? value.toString() : value));
  const query = (sql: string, params: readonly SqlValue[]) => {
    const target = scope.getStore()?.client ?? pool;
    return target.query(text(sql), bind(params));
  };

  async function savepoint<T>(outer: Transaction, work: () => Promise<T>): Promise<T> {
    const name = `wardline_${outer.depth + 1}`;
    await outer.client.query(`SAVEPOINT ${name}`);
    outer.depth++;
    try {
      const result = await work();
      await outer.client.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      await outer.client.query(`ROLLBACK TO SAVEPOINT ${name}`);
      await outer.client.query(`RELEASE SAVEPOINT ${name}`);
      throw error;
    } finally {
      outer.depth--;
    }
  }

  return {
    pool,
    url,
    dialect: postgresDialect,
    async all<Row>(sql: string, params: readonly SqlValue[] = []) {
      return (await query(sql, params)).rows as Row[];
    },
    async get<Row>(sql: string, params: readonly SqlValue[] = []) {
      return (await query(sql, params)).rows[0] as Row | undefined;
    },
    async run(sql: string, params: readonly SqlValue[] = []): Promise<SqlRunResult> {
      return { changes: (await query(sql, params)).rowCount ?? 0 };
    },
    async exec(sql: string) {
      const target = scope.getStore()?.client ?? pool;
      await target.query(sql);
    },
    async transaction<T>(work: () => Promise<T>): Promise<T> {
      const current = scope.getStore();
      if (current) return savepoint(current, work);
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        try {
          const result = await scope.run({ client, depth: 0 }, work);
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
          throw error;
        }
      } catch (error) {
        // A connection that failed mid-transaction is not given to the next caller.
        if (!(error instanceof pg.DatabaseError)) broken ??= error as Error;
        throw error;
      } finally {
        client.release(broken);
      }
    },
    async lock(name: string) {
      const transaction = scope.getStore();
      if (!transaction) throw new Error('lock() outside a transaction');
      await transaction.client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`wardline:${name}`]);
    },
    inTransaction: () => scope.getStore() !== undefined,
    constraintViolated(error) {
      const code = (error as { code?: unknown } | null)?.code;
      return typeof code === 'string' ? (constraintStates[code] ?? null) : null;
    },
    close() {
      // Closing twice (a test's cleanup after a server that closed itself) is closing once.
      ended ??= pool.end();
      return ended;
    },
  };
}
