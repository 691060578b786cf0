import { DatabaseTooNewError } from '../../database.js';
import type { SqlDatabase } from '../engine.js';
import { postgresMigrations } from './migrations.js';

/** One key for every Wardline replica: whoever holds it migrates, the others wait, then see it done. */
const MIGRATION_LOCK = 0x5741_5244; // "WARD"

/** The database's address without its password, for messages and logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

export async function migratePostgres(
  db: SqlDatabase,
  url: string,
  migrations: readonly string[] = postgresMigrations,
): Promise<void> {
  for (;;) {
    const applied = await db.transaction(async () => {
      await db.get('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK]);
      await db.exec('CREATE TABLE IF NOT EXISTS wardline_schema (version BIGINT NOT NULL)');
      const row = await db.get<{ version: number }>('SELECT version FROM wardline_schema');
      const current = row?.version ?? 0;
      if (current > migrations.length)
        throw new DatabaseTooNewError(redactedUrl(url), current, migrations.length);
      if (current === migrations.length) return false;
      await db.exec(migrations[current] as string);
      if (row) await db.run('UPDATE wardline_schema SET version = ?', [current + 1]);
      else await db.run('INSERT INTO wardline_schema (version) VALUES (?)', [current + 1]);
      return true;
    });
    if (!applied) return;
  }
}
