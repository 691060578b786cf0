/**
 * The query layer's contract, run against both engines: a real SQLite file and a real
 * PostgreSQL server started from Debian's binaries.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type RunningPostgres } from '../../testing-postgres.js';
import { DatabaseTooNewError } from '../database.js';
import type { SqlDatabase } from './engine.js';
import { openSqlDatabase } from './open.js';
import { postgresDatabase } from './postgres/index.js';
import { migratePostgres } from './postgres/migrate.js';

let postgres: RunningPostgres;
const dir = mkdtempSync(join(tmpdir(), 'wardline-engine-'));
let files = 0;

beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(async () => {
  await postgres?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const engines: Record<string, () => Promise<SqlDatabase>> = {
  sqlite: () => openSqlDatabase(join(dir, `records-${++files}.db`)),
  postgres: async () => openSqlDatabase(await postgres.createDatabase()),
};

describe.each(Object.keys(engines))('the query layer on %s', (engine) => {
  const open = async () => {
    const db = await (engines[engine] as () => Promise<SqlDatabase>)();
    await db.exec(`CREATE TABLE counters (name TEXT PRIMARY KEY, n BIGINT NOT NULL CHECK (n >= 0));
      CREATE TABLE notes (id BIGINT PRIMARY KEY, counter TEXT NOT NULL REFERENCES counters(name), body TEXT)`);
    return db;
  };

  it('binds parameters in order and returns whole numbers as numbers, absent values as null', async () => {
    const db = await open();
    await db.run('INSERT INTO counters (name, n) VALUES (?, ?), (?, ?)', ['a', 3, 'b?', 4_000_000_000]);
    const rows = await db.all<{ name: string; n: number }>('SELECT name, n FROM counters ORDER BY name');
    expect(rows).toEqual([
      { name: 'a', n: 3 },
      { name: 'b?', n: 4_000_000_000 },
    ]);
    // A question mark inside a string literal is text, not a placeholder.
    const quoted = await db.get<{ q: string; total: number; none: null }>(
      "SELECT 'why?' AS q, sum(n) AS total, NULL AS none FROM counters WHERE name <> ?",
      ['z'],
    );
    expect(quoted).toEqual({ q: 'why?', total: 4_000_000_003, none: null });
    expect(await db.get('SELECT name FROM counters WHERE name = ?', ['missing'])).toBeUndefined();
    await db.close();
  });

  it('counts the rows a statement changed', async () => {
    const db = await open();
    await db.run('INSERT INTO counters (name, n) VALUES (?, 0), (?, 0), (?, 5)', ['a', 'b', 'c']);
    expect(await db.run('UPDATE counters SET n = n + 1 WHERE n < ?', [5])).toEqual({ changes: 2 });
    expect(await db.run('DELETE FROM counters WHERE name = ?', ['nobody'])).toEqual({ changes: 0 });
    await db.close();
  });

  it('commits a transaction that completes and undoes one that throws', async () => {
    const db = await open();
    await db.transaction(async () => {
      await db.run("INSERT INTO counters (name, n) VALUES ('kept', 1)");
    });
    await expect(
      db.transaction(async () => {
        await db.run("INSERT INTO counters (name, n) VALUES ('undone', 1)");
        expect(db.inTransaction()).toBe(true);
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');
    expect(db.inTransaction()).toBe(false);
    expect(await db.all('SELECT name FROM counters')).toEqual([{ name: 'kept' }]);
    await db.close();
  });

  it('undoes only the inner part when a nested transaction throws', async () => {
    const db = await open();
    await db.transaction(async () => {
      await db.run("INSERT INTO counters (name, n) VALUES ('outer', 1)");
      await db
        .transaction(async () => {
          await db.run("INSERT INTO counters (name, n) VALUES ('inner', 1)");
          throw new Error('inner failed');
        })
        .catch(() => undefined);
      await db.run("UPDATE counters SET n = 2 WHERE name = 'outer'");
    });
    expect(await db.all('SELECT name, n FROM counters')).toEqual([{ name: 'outer', n: 2 }]);
    await db.close();
  });

  it('never lets work from outside a transaction join it: a rollback keeps what others wrote meanwhile', async () => {
    const db = await open();
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const failing = db.transaction(async () => {
      await db.run("INSERT INTO counters (name, n) VALUES ('rolled back', 1)");
      entered();
      await sleep(50);
      throw new Error('late failure');
    });
    await inside;
    const outside = db.run("INSERT INTO counters (name, n) VALUES ('independent', 1)");
    await expect(failing).rejects.toThrow('late failure');
    await outside;
    expect(await db.all('SELECT name FROM counters')).toEqual([{ name: 'independent' }]);
    await db.close();
  });

  it('runs many concurrent transactions without losing an increment', async () => {
    const db = await open();
    await db.run("INSERT INTO counters (name, n) VALUES ('shared', 0)");
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        db.transaction(async () => {
          await db.run("UPDATE counters SET n = n + 1 WHERE name = 'shared'");
          await db.run("INSERT INTO notes (id, counter, body) VALUES (?, 'shared', ?)", [i, `note ${i}`]);
        }),
      ),
    );
    expect(
      await db.get("SELECT n, (SELECT count(*) FROM notes) AS notes FROM counters WHERE name = 'shared'"),
    ).toEqual({
      n: 40,
      notes: 40,
    });
    await db.close();
  });

  it('holds a named lock until the transaction ends, so such transactions commit one after another', async () => {
    const db = await open();
    const events: string[] = [];
    const locked = (name: string, pause: number) =>
      db.transaction(async () => {
        await db.lock('feed');
        events.push(`${name} locked`);
        await sleep(pause);
        await db.run('INSERT INTO counters (name, n) VALUES (?, 0)', [name]);
        events.push(`${name} done`);
      });
    const first = locked('first', 80);
    await sleep(20);
    await Promise.all([first, locked('second', 0)]);
    expect(events).toEqual(['first locked', 'first done', 'second locked', 'second done']);
    await expect(db.lock('feed')).rejects.toThrow(/outside a transaction/);
    await db.close();
  });

  it('names the rule a failed statement broke', async () => {
    const db = await open();
    await db.run("INSERT INTO counters (name, n) VALUES ('a', 1)");
    const failure = async (sql: string) => {
      try {
        await db.run(sql);
      } catch (error) {
        return db.constraintViolated(error);
      }
      throw new Error(`${sql} succeeded`);
    };
    expect(await failure("INSERT INTO counters (name, n) VALUES ('a', 2)")).toBe('unique');
    expect(await failure("INSERT INTO notes (id, counter) VALUES (1, 'nobody')")).toBe('foreign_key');
    expect(await failure("INSERT INTO counters (name, n) VALUES ('b', -1)")).toBe('check');
    expect(await failure("INSERT INTO counters (name, n) VALUES ('c', NULL)")).toBe('not_null');
    expect(db.constraintViolated(new Error('not a database error'))).toBeNull();
    await db.close();
  });

  it('reads a JSON array parameter as rows and aggregates rows into a JSON array', async () => {
    const db = await open();
    await db.run("INSERT INTO counters (name, n) VALUES ('a', 1), ('b', 2), ('c', 3)");
    const picked = await db.all<{ name: string }>(
      `SELECT name FROM counters WHERE name IN (SELECT value FROM ${db.dialect.jsonArrayValues('?')}) ORDER BY name`,
      [JSON.stringify(['a', 'c', 'x'])],
    );
    expect(picked).toEqual([{ name: 'a' }, { name: 'c' }]);
    const grouped = await db.get<{ names: string; top: number }>(
      `SELECT ${db.dialect.jsonGroupArray('name')} AS names, ${db.dialect.greatest('max(n)', '2')} AS top FROM counters`,
    );
    expect(JSON.parse(grouped?.names ?? 'null').sort()).toEqual(['a', 'b', 'c']);
    expect(grouped?.top).toBe(3);
    await db.close();
  });
});

describe('PostgreSQL as the shared engine', () => {
  it('migrates once when several replicas start together, and each sees the schema done', async () => {
    const url = await postgres.createDatabase();
    const replicas = await Promise.all([1, 2, 3].map(() => openSqlDatabase(url)));
    const versions = await replicas[0]?.all('SELECT version FROM wardline_schema');
    expect(versions).toHaveLength(1);
    expect(await replicas[1]?.get("SELECT id FROM organisations WHERE id = 'org-default'")).toEqual({
      id: 'org-default',
    });
    await Promise.all(replicas.map((db) => db.close()));
  });

  it('refuses a database that a newer release migrated', async () => {
    const url = await postgres.createDatabase();
    const db = postgresDatabase(url);
    await migratePostgres(db, url, ['CREATE TABLE one (id BIGINT)', 'CREATE TABLE two (id BIGINT)']);
    await expect(migratePostgres(db, url, ['CREATE TABLE one (id BIGINT)'])).rejects.toBeInstanceOf(
      DatabaseTooNewError,
    );
    await db.close();
  });

  it('keeps working after the PostgreSQL server restarts, and reports the connections it lost', async () => {
    const url = await postgres.createDatabase();
    const lost: Error[] = [];
    const db = postgresDatabase(url, { onConnectionError: (error) => lost.push(error) });
    await db.exec('CREATE TABLE t (id BIGINT PRIMARY KEY)');
    await db.run('INSERT INTO t (id) VALUES (1)');
    await postgres.stop();
    await postgres.start();
    await db.run('INSERT INTO t (id) VALUES (2)');
    expect(await db.all('SELECT id FROM t ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
    expect(lost.length).toBeGreaterThan(0);
    await db.close();
  }, 60_000);

  it('survives a restart while connections are checked out: mid-transaction, and LISTENing as the socket.io adapter does', async () => {
    const url = await postgres.createDatabase();
    const lost: Error[] = [];
    const db = postgresDatabase(url, { onConnectionError: (error) => lost.push(error) });
    await db.exec('CREATE TABLE t (id BIGINT PRIMARY KEY)');
    // The adapter's way: a client taken from the pool for good, waiting for notifications.
    const listener = await db.pool.connect();
    await listener.query('LISTEN wardline_test');
    let resume!: () => void;
    const paused = new Promise<void>((resolve) => (resume = resolve));
    const transaction = db.transaction(async () => {
      await db.run('INSERT INTO t (id) VALUES (1)');
      await paused; // the connection is checked out, between statements, when the server goes
      await db.run('INSERT INTO t (id) VALUES (2)');
    });
    const outcome = transaction.then(
      () => 'committed',
      () => 'failed',
    );
    await postgres.stop();
    await postgres.start();
    resume();
    // Before the fix, the process ended here with an unhandled 'error' event on the clients.
    expect(await outcome).toBe('failed');
    expect(lost.length).toBeGreaterThanOrEqual(2);
    listener.release(true);
    await db.run('INSERT INTO t (id) VALUES (3)');
    expect(await db.all('SELECT id FROM t ORDER BY id')).toEqual([{ id: 3 }]);
    await db.close();
  }, 60_000);
});
