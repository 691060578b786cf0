/**
 * The two engines hold the same records: PostgreSQL's migrations build the schema SQLite's
 * build (tables, columns, keys, references, named indexes), and the rules kept in triggers
 * behave alike. A migration added to one list and not the other fails here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type RunningPostgres } from '../../testing-postgres.js';
import { migrations } from '../migrations.js';
import type { SqlDatabase } from './engine.js';
import { openSqlDatabase } from './open.js';
import {
  POSTGRES_ONLY_TABLES,
  postgresMigrations,
  SQLITE_VERSION_AT_FIRST_POSTGRES_MIGRATION,
} from './postgres/migrations.js';

interface TableShape {
  columns: string[];
  primaryKey: string[];
  references: string[];
  unique: string[];
}
type Schema = Record<string, TableShape>;

let postgres: RunningPostgres;
const dir = mkdtempSync(join(tmpdir(), 'wardline-parity-'));

beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(async () => {
  await postgres?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

async function sqliteSchema(db: SqlDatabase): Promise<{ tables: Schema; indexes: string[] }> {
  const tables: Schema = {};
  const names = await db.all<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  );
  for (const { name } of names) {
    const columns = await db.all<{ name: string; notnull: number; pk: number }>(
      `PRAGMA table_info("${name}")`,
    );
    const keys = await db.all<{ from: string; table: string; to: string }>(
      `PRAGMA foreign_key_list("${name}")`,
    );
    const indexList = await db.all<{ name: string; unique: number; origin: string; partial: number }>(
      `PRAGMA index_list("${name}")`,
    );
    const unique: string[] = [];
    for (const index of indexList.filter((i) => i.unique && i.origin === 'u')) {
      const cols = await db.all<{ name: string }>(`PRAGMA index_info("${index.name}")`);
      unique.push(cols.map((c) => c.name).join(','));
    }
    tables[name] = {
      // A primary key column is never null, whatever SQLite's declaration says.
      columns: columns.map((c) => `${c.name}${c.notnull || c.pk ? ' not null' : ''}`).sort(),
      primaryKey: columns
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name),
      references: keys.map((k) => `${k.from}->${k.table}.${k.to}`).sort(),
      unique: unique.sort(),
    };
  }
  const indexes = await db.all<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
  );
  return { tables, indexes: indexes.map((i) => i.name) };
}

async function postgresSchema(db: SqlDatabase): Promise<{ tables: Schema; indexes: string[] }> {
  const tables: Schema = {};
  const names = await db.all<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'wardline_schema' ORDER BY 1",
  );
  const shared = names.filter(({ name }) => !POSTGRES_ONLY_TABLES.includes(name));
  const constraints = await db.all<{ table: string; type: string; columns: string; target: string | null }>(
    `SELECT rel.relname AS "table", con.contype AS type,
            (SELECT string_agg(att.attname, ',' ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY AS k(num, ord)
               JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = k.num) AS columns,
            (SELECT frel.relname || '.' || string_agg(att.attname, ',' ORDER BY k.ord)
               FROM unnest(con.confkey) WITH ORDINALITY AS k(num, ord)
               JOIN pg_attribute att ON att.attrelid = con.confrelid AND att.attnum = k.num
               JOIN pg_class frel ON frel.oid = con.confrelid GROUP BY frel.relname) AS target
       FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid
       JOIN pg_namespace ns ON ns.oid = rel.relnamespace WHERE ns.nspname = 'public'`,
  );
  for (const { name } of shared) {
    const columns = await db.all<{ name: string; nullable: string }>(
      "SELECT column_name AS name, is_nullable AS nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ?",
      [name],
    );
    const of = (type: string) => constraints.filter((c) => c.table === name && c.type === type);
    tables[name] = {
      columns: columns.map((c) => `${c.name}${c.nullable === 'NO' ? ' not null' : ''}`).sort(),
      primaryKey: (of('p')[0]?.columns ?? '').split(',').filter(Boolean),
      references: of('f')
        .map((c) => `${c.columns}->${c.target}`)
        .sort(),
      unique: of('u')
        .map((c) => c.columns)
        .sort(),
    };
  }
  const indexes = await db.all<{ name: string }>(
    `SELECT i.relname AS name FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_namespace ns ON ns.oid = i.relnamespace
      WHERE ns.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
      ORDER BY 1`,
  );
  return { tables, indexes: indexes.map((i) => i.name) };
}

describe('the records on SQLite and on PostgreSQL', () => {
  it('have the same tables, columns, keys, references and indexes', async () => {
    expect(migrations.length - SQLITE_VERSION_AT_FIRST_POSTGRES_MIGRATION).toBe(
      postgresMigrations.length - 1,
    );
    const sqlite = await openSqlDatabase(join(dir, 'parity.db'));
    const pg = await openSqlDatabase(await postgres.createDatabase());
    const [left, right] = [await sqliteSchema(sqlite), await postgresSchema(pg)];
    expect(Object.keys(right.tables)).toEqual(Object.keys(left.tables));
    for (const table of Object.keys(left.tables)) {
      expect({ table, ...right.tables[table] }).toEqual({ table, ...left.tables[table] });
    }
    expect(right.indexes).toEqual(left.indexes);
    await Promise.all([sqlite.close(), pg.close()]);
  });
});

describe.each(['sqlite', 'postgres'])('rules kept by the schema on %s', (engine) => {
  const open = async () =>
    engine === 'sqlite'
      ? openSqlDatabase(join(dir, `rules-${Math.random().toString(36).slice(2)}.db`))
      : openSqlDatabase(await postgres.createDatabase());

  it('keeps audit events append-only and for at least 30 days', async () => {
    const db = await open();
    const now = new Date().toISOString();
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    await db.run(
      "INSERT INTO audit_events (at, actor, action) VALUES (?, 'nurse.a', 'patient.view'), (?, 'nurse.a', 'patient.view')",
      [now, old],
    );
    await expect(db.run("UPDATE audit_events SET actor = 'someone else'")).rejects.toThrow(/append-only/);
    await expect(db.run('DELETE FROM audit_events WHERE at = ?', [now])).rejects.toThrow(/at least 30 days/);
    expect(await db.run('DELETE FROM audit_events WHERE at = ?', [old])).toEqual({ changes: 1 });
    await db.close();
  });

  it('moves the route generation on when a device, assignment, patient or bed changes', async () => {
    const db = await open();
    const generation = async () =>
      (await db.get<{ value: number }>('SELECT value FROM route_generation'))?.value;
    const changes: boolean[] = [];
    const step = async (sql: string) => {
      const before = await generation();
      await db.run(sql);
      changes.push((await generation()) !== before);
    };
    await db.run("INSERT INTO wards (id, name, kind, site_code) VALUES ('w1', 'Ward', 'care_home', 's1')");
    await db.run("INSERT INTO beds (id, ward_id, label) VALUES ('b1', 'w1', 'Bed 1'), ('b2', 'w1', 'Bed 2')");
    await db.run("INSERT INTO patients (id, display_name, bed_id) VALUES ('p1', 'A', 'b1')");
    await step("INSERT INTO devices (id, model, site_code) VALUES ('d1', 'cuff', 's1')");
    await step(
      "INSERT INTO assignments (device_id, patient_id, assigned_at, assigned_by) VALUES ('d1', 'p1', 'now', 'x')",
    );
    await step("UPDATE patients SET bed_id = 'b2' WHERE id = 'p1'");
    await step("UPDATE beds SET ward_id = 'w1' WHERE id = 'b1'");
    await step("UPDATE devices SET status_json = '{}' WHERE id = 'd1'");
    expect(changes).toEqual([true, true, true, true, false]);
    await db.close();
  });
});
