/**
 * Backing up and restoring the embedded database, from a process other than the server (the
 * backup and restore commands in scripts/). WAL lets that process read while the server writes;
 * no server endpoint is needed, so a backup adds nothing to what the web server exposes, and it
 * works the same whether the server is running or stopped.
 */
import Database from 'better-sqlite3';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { migrations } from './migrations.js';

/** Tables whose row counts a backup's manifest records and a restore checks. */
export const COUNTED_TABLES = [
  'wards',
  'beds',
  'patients',
  'devices',
  'users',
  'observations',
  'alerts',
  'dead_letters',
] as const;

export interface DatabaseSummary {
  /** PRAGMA user_version: how many migrations the database has. */
  schemaVersion: number;
  /** The newest schema version this release knows. */
  supportedSchemaVersion: number;
  bytes: number;
  counts: Partial<Record<(typeof COUNTED_TABLES)[number], number>>;
}

/** A running server (or anything else) has the database open. */
export class DatabaseInUseError extends Error {
  override name = 'DatabaseInUseError';
  constructor(readonly path: string) {
    super(`the database ${path} is open in another process (a running Wardline server?)`);
  }
}

export class DatabaseCheckError extends Error {
  override name = 'DatabaseCheckError';
}

/**
 * SQLite's online backup API, copying every page in a single step. A step reads inside one read
 * transaction, so the copy is the database as of one commit, while the server keeps writing
 * (WAL readers do not block the writer). Copying in small steps instead would restart each time
 * the server commits between two steps, and under steady ingest might never finish.
 */
const ALL_PAGES = 0x7fffffff;

/**
 * Copies the database at `source` (a live WAL database is fine) to a new file `destination`,
 * owner-only, as a self-contained rollback-journal file (no -wal beside it to lose), and checks
 * the copy. Never changes the source.
 */
export async function backupDatabase(source: string, destination: string): Promise<DatabaseSummary> {
  if (!existsSync(source)) throw new DatabaseCheckError(`no database at ${source}`);
  if (existsSync(destination)) throw new DatabaseCheckError(`${destination} already exists`);
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    await db.backup(destination, { progress: () => ALL_PAGES });
  } finally {
    db.close();
  }
  chmodSync(destination, 0o600);
  const copy = new Database(destination, { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
  return checkDatabase(destination);
}

/**
 * PRAGMA integrity_check, the schema version and row counts of a database no one else is using.
 * Throws DatabaseCheckError when the file is damaged.
 */
export function checkDatabase(path: string): DatabaseSummary {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new DatabaseCheckError(`cannot open ${path}: ${(err as Error).message}`);
  }
  try {
    let problems: string[];
    try {
      problems = (db.pragma('integrity_check') as { integrity_check: string }[]).map(
        (row) => row.integrity_check,
      );
    } catch (err) {
      // SQLite gives up on some damage (SQLITE_CORRUPT, SQLITE_NOTADB) instead of listing it.
      problems = [(err as Error).message];
    }
    if (problems.length !== 1 || problems[0] !== 'ok') {
      throw new DatabaseCheckError(
        `${path} fails PRAGMA integrity_check: ${problems.slice(0, 5).join('; ')}`,
      );
    }
    const tables = new Set(
      (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as { name: string }[]).map(
        (row) => row.name,
      ),
    );
    const counts: DatabaseSummary['counts'] = {};
    for (const table of COUNTED_TABLES) {
      if (tables.has(table))
        counts[table] = (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    }
    return {
      schemaVersion: db.pragma('user_version', { simple: true }) as number,
      supportedSchemaVersion: migrations.length,
      bytes: statSync(path).size,
      counts,
    };
  } finally {
    db.close();
  }
}

/**
 * Throws DatabaseInUseError when another process has the database open. Asks SQLite for an
 * exclusive lock without waiting: a server with the database open in WAL mode, even idle, makes
 * that fail; a server that has exited, even killed, does not (backup.test.ts checks both).
 */
export function assertDatabaseNotInUse(path: string): void {
  if (!existsSync(path)) return;
  const db = new Database(path, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new DatabaseInUseError(path);
    throw err;
  } finally {
    db.close();
  }
}
