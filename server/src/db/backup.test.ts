/**
 * The database backup taken from another process while a writer commits: one commit's state,
 * intact, self-contained and owner-only; the in-use check sees a live process, not a dead one;
 * damage is reported.
 */
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  assertDatabaseNotInUse,
  backupDatabase,
  checkDatabase,
  DatabaseCheckError,
  DatabaseInUseError,
} from './backup.js';
import { openDatabase } from './database.js';
import { migrations } from './migrations.js';

const dir = () => mkdtempSync(join(tmpdir(), 'wardline-db-backup-'));

/**
 * Another process with the database open as the server has it (WAL), committing a pair of rows
 * per transaction as fast as it can; it prints "ready" once it has started.
 */
function writer(path: string, mode: 'write' | 'idle'): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `
      const Database = require('better-sqlite3');
      const db = new Database(${JSON.stringify(path)});
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.exec('CREATE TABLE IF NOT EXISTS a (n INTEGER); CREATE TABLE IF NOT EXISTS b (n INTEGER)');
      const pair = db.transaction((n) => {
        db.prepare('INSERT INTO a VALUES (?)').run(n);
        db.prepare('INSERT INTO b VALUES (?)').run(n);
      });
      db.transaction(() => { for (let i = 0; i < 2000; i++) pair(i); })();
      console.log('ready');
      let n = 2000;
      const step = () => { for (let i = 0; i < 20; i++) pair(n++); setImmediate(step); };
      if (${JSON.stringify(mode)} === 'write') step(); else setInterval(() => {}, 1000);
      `,
    ],
    { cwd: import.meta.dirname, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`writer exited with ${code}`)));
  });
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

const count = (path: string, table: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe('database backup', () => {
  it('copies one commit of a database another process is writing, intact and owner-only', async () => {
    const root = dir();
    const source = join(root, 'live.db');
    await writer(source, 'write');
    await sleep(200);
    const before = count(source, 'a');
    const copy = join(root, 'backup', 'wardline.db');
    mkdirSync(join(root, 'backup'));
    await backupDatabase(source, copy);
    await sleep(100);
    const after = count(source, 'a');

    const rows = count(copy, 'a');
    // The writer went on committing during the copy, and the copy is one commit of it: every
    // transaction's pair whole, none half.
    expect(after).toBeGreaterThan(before);
    expect(rows).toBeGreaterThanOrEqual(before);
    expect(rows).toBeLessThanOrEqual(after);
    expect(count(copy, 'b')).toBe(rows);
    expect(statSync(copy).mode & 0o777).toBe(0o600);
    // Self-contained: a rollback-journal file with nothing beside it.
    expect(existsSync(`${copy}-wal`)).toBe(false);
    const db = new Database(copy, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('sees a database held open by a live process, and not once that process is killed', async () => {
    const path = join(dir(), 'held.db');
    const holder = await writer(path, 'idle');
    expect(() => assertDatabaseNotInUse(path)).toThrow(DatabaseInUseError);
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    expect(() => assertDatabaseNotInUse(path)).not.toThrow();
    // The killed writer's last commits survived (recovered from its WAL).
    expect(count(path, 'a')).toBeGreaterThanOrEqual(2000);
  });

  it('reports the schema version and counts, and damage', () => {
    const root = dir();
    const path = join(root, 'wardline.db');
    openDatabase(path).close();
    const summary = checkDatabase(path);
    expect(summary.schemaVersion).toBe(migrations.length);
    expect(summary.supportedSchemaVersion).toBe(migrations.length);
    expect(summary.counts.observations).toBe(0);

    const db = new Database(path);
    db.pragma('journal_mode = DELETE');
    db.close();
    const size = statSync(path).size;
    const fd = openSync(path, 'r+');
    // Overwrite the pages after the first with garbage.
    writeSync(fd, Buffer.alloc(size - 4096, 0xa5), 0, size - 4096, 4096);
    closeSync(fd);
    expect(() => checkDatabase(path)).toThrow(DatabaseCheckError);
  });
});
