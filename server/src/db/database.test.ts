import { chmodSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from './database.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('database files', () => {
  let previousUmask: number;
  // A permissive umask, as a shell commonly has: the modes must not depend on it.
  beforeEach(() => {
    previousUmask = process.umask(0o022);
  });
  afterEach(() => {
    process.umask(previousUmask);
  });

  it('creates the database, its WAL and shared memory for the owner only, in a 0700 directory', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'wardline-modes-')), 'server');
    const db = openDatabase(join(dir, 'wardline.db'));
    db.prepare(`INSERT INTO sign_in_events (at, username, outcome) VALUES ('t', 'nurse', 'success')`).run();
    expect(mode(dir)).toBe(0o700);
    for (const file of ['wardline.db', 'wardline.db-wal', 'wardline.db-shm'])
      expect(mode(join(dir, file)), file).toBe(0o600);
    db.close();
  });

  it('tightens a database left world-readable by an older version', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wardline-modes-'));
    const path = join(dir, 'old', 'wardline.db');
    mkdirSync(join(dir, 'old'), { mode: 0o755 });
    chmodSync(join(dir, 'old'), 0o755);
    openDatabase(path).close();
    for (const file of [path, `${path}-wal`]) {
      writeFileSync(file, '', { flag: 'a' });
      chmodSync(file, 0o644);
    }
    const db = openDatabase(path);
    expect(mode(join(dir, 'old'))).toBe(0o700);
    expect(mode(path)).toBe(0o600);
    expect(mode(`${path}-wal`)).toBe(0o600);
    db.close();
  });
});
