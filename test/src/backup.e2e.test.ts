/**
 * Backup and restore of a running Wardline, with the real commands (`npm run backup` and
 * `npm run restore`) against the broker and server as processes under steady QoS 1 load from a
 * simulated fleet.
 *
 * A backup is taken mid-load and the load goes on; restore refuses while the services run and
 * refuses an altered backup; everything is stopped and the backup restored into fresh
 * directories; a broker and server started from them must hold every reading the broker had
 * acknowledged to a gateway before the backup began, the database must pass integrity_check,
 * and the broker must still have the server's persistent session: readings published to the
 * restored broker before the server is back reach the server once it starts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultHarness } from './faults/harness.js';
import { batchPayload, tempDir } from './support.js';
import { repoRoot } from './system/processes.js';
import { WardlineSystem } from './system/system.js';

const TOKEN = `backup-e2e-${randomUUID()}`;
const RATE = 100;
const LOAD_MS = 9_000;
const BACKUP_AT_MS = 4_000;
const PAUSE_MS = 1_500;

interface Run {
  code: number | null;
  output: string;
  ms: number;
}

/** One of the repository's scripts as an operator runs it (node + tsx, like `npm run`). */
function runScript(script: string, args: string[]): Promise<Run> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, script), ...args], {
    cwd: repoRoot,
    env: { ...process.env, WARDLINE_BROKER_ADMIN_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve) =>
    child.once('exit', (code) => resolve({ code, output, ms: Date.now() - started })),
  );
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('backup and restore under load', () => {
  let h: FaultHarness;
  let restored: WardlineSystem | undefined;

  beforeAll(async () => {
    // The broker process inherits it: snapshots on, with this token.
    process.env.WARDLINE_BROKER_ADMIN_TOKEN = TOKEN;
    h = await FaultHarness.start({ name: 'backup', gateways: 20, seed: 41 });
  }, 90_000);

  afterAll(async () => {
    await restored?.stop();
    await h?.close();
  });

  it('restores every reading acknowledged before the backup, and the server session', async () => {
    const original = h.system;
    const backupDir = join(tempDir('backup-out'), 'backup');
    const load = h.runLoad(RATE, LOAD_MS, []);
    await sleep(BACKUP_AT_MS - PAUSE_MS);
    // The server falls behind (paused, as a slow disk or a long GC would): readings the broker has
    // acknowledged wait in its queue for the server, so the backup needs the broker's part too.
    process.kill(original.server.pid!, 'SIGSTOP');
    let backup: Run;
    let ackedBefore: string[];
    try {
      await sleep(PAUSE_MS);
      ackedBefore = [...h.ackCounts.keys()];
      backup = await runScript('scripts/backup.ts', [
        '--out',
        backupDir,
        '--db',
        original.databasePath,
        '--broker-url',
        `http://127.0.0.1:${original.brokerHealthPort}`,
      ]);
    } finally {
      process.kill(original.server.pid!, 'SIGCONT');
    }
    expect(backup.code, backup.output).toBe(0);

    // The services hold their files: restore must not touch them.
    const whileRunning = await runScript('scripts/restore.ts', [
      backupDir,
      '--db',
      original.databasePath,
      '--broker-data',
      join(original.options.dir, 'broker-data'),
    ]);
    expect(whileRunning.code, whileRunning.output).toBe(1);
    expect(whileRunning.output).toMatch(/open in another process|in use by a running broker/);

    await load;
    const ackedAfterBackup = h.ackCounts.size - ackedBefore.length;
    expect(await h.fleet.drained(30_000), 'the fleet drained').toBe(true);
    await h.close();

    // What the backup holds, owner-only.
    const manifest = JSON.parse(readFileSync(join(backupDir, 'manifest.json'), 'utf8')) as {
      database: { schemaVersion: number; counts: { observations: number } };
      broker: { entries: number; counts: { serverSessions: string[]; queuedMessages: number } };
      files: Record<string, { bytes: number }>;
    };
    expect(mode(backupDir)).toBe(0o700);
    expect(mode(join(backupDir, 'broker'))).toBe(0o700);
    for (const file of ['manifest.json', ...Object.keys(manifest.files)])
      expect(mode(join(backupDir, file)), file).toBe(0o600);
    expect(manifest.broker.counts.serverSessions.length).toBeGreaterThanOrEqual(2);

    // A backup altered after the fact is refused before anything is touched.
    const altered = join(tempDir('backup-altered'), 'backup');
    cpSync(backupDir, altered, { recursive: true });
    const dbBytes = readFileSync(join(altered, 'wardline.db'));
    dbBytes[dbBytes.length - 100] = dbBytes[dbBytes.length - 100]! ^ 0xff;
    writeFileSync(join(altered, 'wardline.db'), dbBytes);
    const fresh = tempDir('restored');
    const refused = await runScript('scripts/restore.ts', [
      altered,
      '--db',
      join(fresh, 'server', 'wardline.db'),
      '--broker-data',
      join(fresh, 'broker-data'),
    ]);
    expect(refused.code, refused.output).toBe(1);
    expect(refused.output).toContain('wardline.db does not match its SHA-256');

    const restore = await runScript('scripts/restore.ts', [
      backupDir,
      '--db',
      join(fresh, 'server', 'wardline.db'),
      '--broker-data',
      join(fresh, 'broker-data'),
    ]);
    expect(restore.code, restore.output).toBe(0);
    const copy = new Database(join(fresh, 'server', 'wardline.db'), { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    const inCopy = new Set(
      (copy.prepare('SELECT id FROM observations').all() as { id: string }[]).map((r) => r.id),
    );
    copy.close();

    // The broker alone first, from the restored data: a gateway publishes while the server is away.
    restored = await WardlineSystem.start({ plan: h.plan, dir: fresh, seed: false, server: false });
    const gateway = h.plan.gateways[0]!;
    const cuff = gateway.residents.flatMap((r) => r.devices).find((d) => d.model === 'bp-cuff')!;
    const publisher = await mqtt.connectAsync(restored.brokerUrl, {
      username: gateway.username,
      password: restored.gatewayPassword(gateway),
      clientId: `${gateway.username}:after-restore`,
      reconnectPeriod: 0,
    });
    const whileServerAway = Array.from({ length: 10 }, (_, i) => ({
      id: randomUUID(),
      deviceId: cuff.id,
      kind: 'blood_pressure',
      measuredAt: new Date(Date.now() - 10_000).toISOString(),
      seq: 1_000_000 + i,
      values: {
        systolic: { value: 128, unit: 'mmHg' },
        diastolic: { value: 80, unit: 'mmHg' },
        pulseRate: { value: 70, unit: 'bpm' },
      },
    }));
    await publisher.publishAsync(
      `wardline/v1/${gateway.site}/${gateway.gateway}/obs`,
      batchPayload(...whileServerAway),
      { qos: 1 },
    );
    await publisher.endAsync();
    await restored.startServer();

    const expected = [...ackedBefore, ...whileServerAway.map((o) => o.id)];
    const missing = () => {
      const stored = new Set(restored!.query<{ id: string }>('SELECT id FROM observations').map((r) => r.id));
      return expected.filter((id) => !stored.has(id));
    };
    const deadline = Date.now() + 30_000;
    while (missing().length > 0 && Date.now() < deadline) await sleep(250);
    const onlyInBroker = ackedBefore.filter((id) => !inCopy.has(id)).length;
    console.log(
      `backup: ${backup.ms} ms (command), restore ${restore.ms} ms; acknowledged before the backup ` +
        `${ackedBefore.length} (${onlyInBroker} of them not yet in the database copy, queued in the broker snapshot), ` +
        `after it ${ackedAfterBackup}; database copy ${manifest.database.counts.observations} readings, ` +
        `broker snapshot ${manifest.broker.entries} entries (${manifest.broker.counts.queuedMessages} queued)`,
    );
    console.log(backup.output.trim());
    expect(ackedBefore.length).toBeGreaterThan(200);
    expect(onlyInBroker, 'readings only the broker snapshot held').toBeGreaterThan(50);
    expect(manifest.broker.counts.queuedMessages).toBeGreaterThan(0);
    expect(ackedAfterBackup, 'the load went on after the backup').toBeGreaterThan(200);
    expect(missing(), 'readings lost by backup and restore').toEqual([]);
    expect(restored.query<{ ok: string }>('PRAGMA integrity_check')[0]).toEqual({ integrity_check: 'ok' });
  }, 120_000);
});
