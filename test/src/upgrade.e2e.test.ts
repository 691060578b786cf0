/**
 * Upgrades: the server of this release opens the database each earlier release left behind
 * (test/fixtures/db: one per release, made by that release's own code), runs its migrations and
 * serves the same wards, patients, readings, alerts and staff accounts. And a database from a
 * newer release than this one is refused with the two schema versions named, not misread.
 */
import Database from 'better-sqlite3';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { migrations } from '../../server/src/db/migrations.js';
import { freePort, tempDir } from './support.js';
import { ManagedProcess, repoRoot } from './system/processes.js';

const fixtures = resolve(repoRoot, 'test/fixtures/db');

interface FixtureFacts {
  commit: string;
  userVersion: number;
  password: string;
  counts: Record<'wards' | 'beds' | 'patients' | 'devices' | 'users' | 'observations' | 'alerts', number>;
  alerts: { id: number; state: string; condition: string; patient_id: string }[];
  sample: { id: string; patient_id: string; device_id: string; values_json: string };
}

const releases = readdirSync(fixtures)
  .filter((f) => f.endsWith('.db.gz'))
  .map((file) => ({
    file,
    facts: JSON.parse(
      readFileSync(join(fixtures, file.replace(/\.db\.gz$/, '.json')), 'utf8'),
    ) as FixtureFacts,
  }));

const serverEnv = (databasePath: string, port: number): Record<string, string> => ({
  HOST: '127.0.0.1',
  PORT: String(port),
  WARDLINE_DB_PATH: databasePath,
  WARDLINE_MQTT_DISABLED: '1',
  WARDLINE_DEMO: '0',
  LOG_LEVEL: 'warn',
});

/**
 * Until the server answers with its database open. Without a broker (MQTT off here) its health
 * says "degraded" with a 503, which is still an answer.
 */
async function answering(url: string, process: ManagedProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (!process.running) throw new Error(`the server exited:\n${process.tail()}`);
    const health = await fetch(url)
      .then((res) => res.json() as Promise<{ database?: { ok?: boolean } }>)
      .catch(() => null);
    if (health?.database?.ok) return;
    await sleep(100);
  }
  throw new Error(`${url} did not answer:\n${process.tail()}`);
}

let running: ManagedProcess | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe('upgrading from an earlier release', () => {
  it('has a fixture for the release before the edge-isolation schema change', () => {
    expect(releases.map((r) => r.facts.userVersion)).toContain(3);
  });

  for (const { file, facts } of releases) {
    it(`serves the database of ${facts.commit.slice(0, 7)} (schema ${facts.userVersion}) intact`, async () => {
      const dir = tempDir('upgrade');
      const databasePath = join(dir, 'server', 'wardline.db');
      mkdirSync(join(dir, 'server'), { mode: 0o700 });
      writeFileSync(databasePath, gunzipSync(readFileSync(join(fixtures, file))), { mode: 0o600 });
      expect(facts.userVersion).toBeLessThanOrEqual(migrations.length);

      const port = await freePort();
      running = new ManagedProcess(
        'server',
        'server/src/main.ts',
        () => serverEnv(databasePath, port),
        join(dir, 'server.log'),
      );
      running.start();
      const base = `http://127.0.0.1:${port}`;
      await answering(`${base}/api/health`, running);

      // The staff accounts of the old release still sign in, with their old passwords.
      const login = await fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: base },
        body: JSON.stringify({ username: 'nurse', password: facts.password }),
      });
      expect(login.status, await login.clone().text()).toBe(200);
      const { token } = (await login.json()) as { token: string };
      const get = async <T>(path: string): Promise<T> => {
        const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status, `GET ${path}: ${await res.clone().text()}`).toBe(200);
        return (await res.json()) as T;
      };

      expect(await get<unknown[]>('/api/patients')).toHaveLength(facts.counts.patients);
      const falls = (
        await get<{ observation: { id: string; values: unknown } }[]>(
          `/api/patients/${facts.sample.patient_id}/observations?kind=fall`,
        )
      ).map((stored) => stored.observation);
      expect(falls.map((o) => o.id)).toContain(facts.sample.id);
      expect(falls.find((o) => o.id === facts.sample.id)?.values).toEqual(
        JSON.parse(facts.sample.values_json),
      );
      for (const alert of facts.alerts) {
        const served = await get<{ alert: { state: string; condition: string; patientId: string } }>(
          `/api/alerts/${alert.id}`,
        );
        expect(served.alert).toMatchObject({
          state: alert.state,
          condition: alert.condition,
          patientId: alert.patient_id,
        });
      }
      await running.stop();

      const db = new Database(databasePath, { readonly: true });
      const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      for (const table of ['wards', 'beds', 'patients', 'devices', 'users', 'observations'] as const)
        expect(count(`SELECT count(*) AS n FROM ${table}`), table).toBe(facts.counts[table]);
      // The server may open alerts of its own on start (readings gone stale); the old ones are kept.
      const oldest = Math.max(...facts.alerts.map((a) => a.id));
      expect(count(`SELECT count(*) AS n FROM alerts WHERE id <= ${oldest}`)).toBe(facts.counts.alerts);
      db.close();
    }, 90_000);
  }

  it('refuses a database from a newer release, naming both schema versions', async () => {
    const dir = tempDir('too-new');
    const databasePath = join(dir, 'wardline.db');
    const newer = migrations.length + 1;
    const db = new Database(databasePath);
    db.pragma(`user_version = ${newer}`);
    db.close();

    const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
      cwd: repoRoot,
      env: { ...process.env, ...serverEnv(databasePath, await freePort()) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // A server that wrongly starts is stopped after a while, and fails the exit code check.
    const stopper = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((done) => child.once('exit', done));
    clearTimeout(stopper);

    expect(code).toBe(1);
    expect(output).toContain(`schema version ${newer}`);
    expect(output).toContain(`up to ${migrations.length}`);
    expect(output, 'no stack trace').not.toMatch(/^\s+at /m);
    const after = new Database(databasePath, { readonly: true });
    expect(after.pragma('user_version', { simple: true }), 'left as it was').toBe(newer);
    after.close();
  }, 60_000);
});
