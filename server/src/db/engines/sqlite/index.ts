/**
 * The embedded engine: one better-sqlite3 connection behind the shared query layer. Statements
 * run synchronously and are prepared once; the promise only keeps the interface the same as
 * PostgreSQL's. One connection means one transaction at a time: a transaction holds the
 * connection until it ends, and queries from outside it wait their turn rather than joining it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type Database from 'better-sqlite3';
import type { ConstraintKind, SqlDatabase, SqlDialect, SqlRunResult, SqlValue } from '../engine.js';

type Handle = Database.Database;
type Statement = Database.Statement<unknown[], unknown>;

export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  greatest: (a, b) => `max(${a}, ${b})`,
  least: (a, b) => `min(${a}, ${b})`,
  jsonArrayValues: (parameter) => `json_each(${parameter})`,
  jsonGroupArray: (expression) => `json_group_array(${expression})`,
};

const constraintCodes: Record<string, ConstraintKind> = {
  SQLITE_CONSTRAINT_UNIQUE: 'unique',
  SQLITE_CONSTRAINT_PRIMARYKEY: 'unique',
  SQLITE_CONSTRAINT_FOREIGNKEY: 'foreign_key',
  SQLITE_CONSTRAINT_CHECK: 'check',
  SQLITE_CONSTRAINT_NOTNULL: 'not_null',
};

/** Queries are fixed strings in the code, so this bound is only a guard against a builder bug. */
const MAX_CACHED_STATEMENTS = 2_000;

interface Transaction {
  depth: number;
}

export interface SqliteDatabase extends SqlDatabase {
  /** The connection itself, for code not yet on the shared query layer. */
  readonly handle: Handle;
}

export function sqliteDatabase(handle: Handle): SqliteDatabase {
  const statements = new Map<string, Statement>();
  const scope = new AsyncLocalStorage<Transaction>();
  let holder: Transaction | null = null;
  let released: Promise<void> = Promise.resolve();

  const prepare = (sql: string): Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      if (statements.size >= MAX_CACHED_STATEMENTS) statements.clear();
      statement = handle.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const bind = (params: readonly SqlValue[]): unknown[] =>
    params.map((value) =>
      value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value) : value,
    );

  const ours = (): boolean => holder === null || scope.getStore() === holder;
  // The check and the statement must run in one synchronous step: after any await another
  // transaction may have taken the connection.
  async function query<T>(run: () => T): Promise<T> {
    while (!ours()) await released;
    return run();
  }

  async function savepoint<T>(outer: Transaction, work: () => Promise<T>): Promise<T> {
    const name = `wardline_${outer.depth + 1}`;
    handle.exec(`SAVEPOINT ${name}`);
    outer.depth++;
    try {
      const result = await work();
      handle.exec(`RELEASE ${name}`);
      return result;
    } catch (error) {
      handle.exec(`ROLLBACK TO ${name}`);
      handle.exec(`RELEASE ${name}`);
      throw error;
    } finally {
      outer.depth--;
    }
  }

  const database: SqliteDatabase = {
    handle,
    dialect: sqliteDialect,
    all: <Row>(sql: string, params: readonly SqlValue[] = []) =>
      query(() => prepare(sql).all(...bind(params)) as Row[]),
    get: <Row>(sql: string, params: readonly SqlValue[] = []) =>
      query(() => prepare(sql).get(...bind(params)) as Row | undefined),
    run: (sql: string, params: readonly SqlValue[] = []) =>
      query((): SqlRunResult => ({ changes: prepare(sql).run(...bind(params)).changes })),
    exec: (sql: string) => query(() => void handle.exec(sql)),
    async transaction<T>(work: () => Promise<T>): Promise<T> {
      const current = scope.getStore();
      if (current && current === holder) return savepoint(current, work);
      while (holder !== null) await released;
      const transaction: Transaction = { depth: 0 };
      let release!: () => void;
      holder = transaction;
      released = new Promise((resolve) => (release = resolve));
      try {
        handle.exec('BEGIN IMMEDIATE');
        try {
          const result = await scope.run(transaction, work);
          handle.exec('COMMIT');
          return result;
        } catch (error) {
          if (handle.inTransaction) handle.exec('ROLLBACK');
          throw error;
        }
      } finally {
        holder = null;
        release();
      }
    },
    async lock() {
      if (!(holder !== null && scope.getStore() === holder)) throw new Error('lock() outside a transaction');
    },
    inTransaction: () => holder !== null && scope.getStore() === holder,
    constraintViolated(error) {
      const code = (error as { code?: unknown } | null)?.code;
      return typeof code === 'string' ? (constraintCodes[code] ?? null) : null;
    },
    async close() {
      while (holder !== null) await released;
      handle.close();
    },
  };
  return database;
}
