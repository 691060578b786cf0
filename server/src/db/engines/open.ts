/**
 * Chooses the engine for the records: PostgreSQL when the server is given a postgres:// URL
 * (several replicas share it), otherwise the embedded SQLite file.
 */
import { openDatabase } from '../database.js';
import type { SqlDatabase } from './engine.js';
import { postgresDatabase, type PostgresOptions } from './postgres/index.js';
import { migratePostgres } from './postgres/migrate.js';
import { sqliteDatabase } from './sqlite/index.js';

export const isPostgresUrl = (location: string): boolean => /^postgres(ql)?:\/\//i.test(location);

/** Opens the records at a SQLite path or a PostgreSQL URL, migrated to this release's schema. */
export async function openSqlDatabase(location: string, options: PostgresOptions = {}): Promise<SqlDatabase> {
  if (!isPostgresUrl(location)) return sqliteDatabase(openDatabase(location));
  const db = postgresDatabase(location, options);
  try {
    await migratePostgres(db, location);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
