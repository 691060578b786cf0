/**
 * A real PostgreSQL server for tests and benchmarks, from Debian's binaries (no mock, no
 * container): its own data directory and socket directory under the temp dir, on a free port
 * of 127.0.0.1, trust authentication for the loopback only. initdb refuses to run as root, so
 * under root the server runs as the `postgres` user that Debian's package creates.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from './testing-engines.js';

export interface RunningPostgres {
  /** The server's own database, for administration. */
  readonly adminUrl: string;
  readonly port: number;
  /** A new empty database on this server, and its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server cleanly (fast shutdown); the data dir is kept. */
  stop(): Promise<void>;
  /** Kills the postmaster with SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data dir. */
  start(): Promise<void>;
  /** Stops it and deletes its data dir. */
  destroy(): Promise<void>;
}

/** Where Debian puts the server binaries; the newest version installed wins. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  const versions = readdirSync(root)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error(`no PostgreSQL version under ${root}`);
  return join(root, versions[0] as string, 'bin');
}

function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

let databaseCounter = 0;

function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startPostgres(): Promise<RunningPostgres> {
  const bin = postgresBinDir();
  const user = runAs();
  const root = mkdtempSync(join(tmpdir(), 'wardline-pg-'));
  const dataDir = join(root, 'data');
  if (user) chownSync(root, user.uid, user.gid);
  execFileSync(
    join(bin, 'initdb'),
    ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'],
    {
      stdio: 'pipe',
      ...user,
    },
  );
  const port = await freePort();
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | null = null;
  let output = '';

  const waitReady = async (proc: ChildProcess) => {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`postgres exited (${proc.exitCode}): ${output}`);
      const client = new pg.Client({ connectionString: adminUrl });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return;
      } catch {
        // starting up, or recovering after a crash
      } finally {
        await client.end().catch(() => undefined);
      }
      await sleep(50);
    }
    throw new Error(`postgres on port ${port} not ready: ${output}`);
  };

  const api: RunningPostgres = {
    adminUrl,
    port,
    async createDatabase(name = `wardline_${process.pid}_${++databaseCounter}`) {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async start() {
      output = '';
      // Tests trade durability of the test server for speed; the product's own settings are
      // the operator's (fsync stays on in production).
      const proc = spawn(
        join(bin, 'postgres'),
        [
          '-D',
          dataDir,
          '-p',
          String(port),
          '-k',
          root,
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          'fsync=off',
          '-c',
          'full_page_writes=off',
          '-c',
          'max_connections=200',
        ],
        // Its own process group, so a kill takes the backends with the postmaster, as a crash of
        // the machine would.
        { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...user },
      );
      child = proc;
      const pid = proc.pid;
      // A test runner that dies must not leave a server holding the port and data dir.
      if (pid !== undefined)
        process.once('exit', () => processGroupAlive(pid) && process.kill(-pid, 'SIGKILL'));
      const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
      proc.stdout?.on('data', keep);
      proc.stderr?.on('data', keep);
      await waitReady(proc);
    },
    async stop() {
      await signal('SIGINT');
    },
    async kill() {
      await signal('SIGKILL');
    },
    async destroy() {
      await api.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };

  async function signal(name: NodeJS.Signals): Promise<void> {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.pid === undefined) return;
    const pid = proc.pid;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    process.kill(name === 'SIGKILL' ? -pid : pid, name);
    const timer = setTimeout(() => process.kill(-pid, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    // A restart refuses the data dir while any backend of the old postmaster still holds its
    // shared memory.
    while (processGroupAlive(pid)) await sleep(20);
  }

  await api.start();
  return api;
}

let shared: Promise<RunningPostgres> | null = null;

/** The test file's PostgreSQL server, started on first use; vitest's set-up stops it after the file. */
export function testPostgres(): Promise<RunningPostgres> {
  shared ??= startPostgres();
  return shared;
}

export async function stopTestPostgres(): Promise<void> {
  const running = shared;
  shared = null;
  if (running) await (await running).destroy();
}
