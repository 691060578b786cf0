import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrations } from './migrations.js';

/** Files that hold the database: SQLite creates the WAL and shared-memory files with the main file's mode. */
const sqliteFiles = (path: string) => [path, `${path}-wal`, `${path}-shm`];

/**
 * Owner-only access to a SQLite database (personal data): 0600 files, and a 0700 directory when
 * it is the database's own (created here, or owned by this user and not a shared sticky directory
 * such as /tmp). Existing files with looser modes are tightened.
 */
export function restrictDatabaseFiles(path: string): void {
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const dirStat = statSync(dir);
  const ownDir = typeof process.getuid === 'function' && dirStat.uid === process.getuid();
  if (ownDir && (dirStat.mode & 0o1000) === 0 && (dirStat.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  for (const file of sqliteFiles(path)) {
    if (existsSync(file) && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  }
}

export type Db = Database.Database;

/**
 * Opens the embedded database. WAL with synchronous=FULL: a commit is on disk (the WAL is
 * fsynced) before it returns, which is what lets ingest acknowledge a reading only after it
 * is durable, including across power loss.
 */
export function openDatabase(path: string): Db {
  if (path !== ':memory:') restrictDatabaseFiles(path);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  try {
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * The database's schema is ahead of this release's migrations: a newer Wardline wrote it (an
 * upgrade rolled back, or a backup restored into an older release). Opening it could misread or
 * damage data the newer schema holds, so the server stops and says which versions disagree.
 */
export class DatabaseTooNewError extends Error {
  constructor(
    readonly path: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `database ${path} has schema version ${found}, but this Wardline release knows schema versions up to ` +
        `${supported}: it was written by a newer release. Run that release (or a later one), or restore a ` +
        'backup made by this release.',
    );
    this.name = 'DatabaseTooNewError';
  }
}

export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) throw new DatabaseTooNewError(db.name, current, migrations.length);
  for (let version = current; version < migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
