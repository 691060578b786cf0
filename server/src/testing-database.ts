/**
 * The records tests run on (no test runner needed: benchmarks and fixtures use this too).
 *
 * Which engine the suite's servers keep their records in: SQLite by default, PostgreSQL when
 * `WARDLINE_TEST_DATABASE=postgres` (CI runs the suite both ways). In PostgreSQL mode every
 * database path a test gives gets its own database on the test file's PostgreSQL server, the same
 * one each time the path is given again, so restart tests find their records.
 */
import { openDatabase } from './db/database.js';
import type { SqlDatabase } from './db/engines/engine.js';
import { openSqlDatabase } from './db/engines/open.js';
import type { PostgresDatabase } from './db/engines/postgres/index.js';
import { sqliteDatabase } from './db/engines/sqlite/index.js';
import { testPostgres } from './testing-postgres.js';

export const testEngines = ['sqlite', 'postgres'] as const;
export type TestEngine = (typeof testEngines)[number];

export function testDatabaseEngine(env: NodeJS.ProcessEnv = process.env): TestEngine {
  const value = env.WARDLINE_TEST_DATABASE ?? 'sqlite';
  if (value !== 'sqlite' && value !== 'postgres') {
    throw new Error(`WARDLINE_TEST_DATABASE must be sqlite or postgres, not ${value}`);
  }
  return value;
}

const databases = new Map<string, Promise<string>>();

/** The PostgreSQL database standing for `path` in PostgreSQL mode; null in SQLite mode. */
export async function testDatabaseUrlFor(path: string): Promise<string | null> {
  if (testDatabaseEngine() === 'sqlite') return null;
  let url = databases.get(path);
  if (!url) {
    url = testPostgres().then((server) => server.createDatabase());
    databases.set(path, url);
  }
  return url;
}

/** An empty, migrated database on `engine`. */
export async function openTestSql(engine: TestEngine): Promise<SqlDatabase> {
  if (engine === 'sqlite') return sqliteDatabase(openDatabase(':memory:'));
  const postgres = await testPostgres();
  return openSqlDatabase(await postgres.createDatabase());
}

/** Empty, migrated records in the suite's engine (`WARDLINE_TEST_DATABASE`). */
export function testRecords(): Promise<SqlDatabase> {
  return openTestSql(testDatabaseEngine());
}

/**
 * `count` handles on the records `db` holds, as `count` server replicas would have: separate
 * connection pools on PostgreSQL; on SQLite, which one server uses alone, `db` itself each time.
 * The caller closes them (closing `db` itself too).
 */
export async function replicasOf(db: SqlDatabase, count: number): Promise<SqlDatabase[]> {
  if (db.dialect.name === 'sqlite') return Array.from({ length: count }, () => db);
  const { url } = db as PostgresDatabase;
  const others = await Promise.all(Array.from({ length: count - 1 }, () => openSqlDatabase(url)));
  return [db, ...others];
}
