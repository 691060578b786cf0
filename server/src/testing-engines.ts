/**
 * Real time-series engines for tests and benchmarks, on 127.0.0.1 with a temp data dir, each
 * stopped by its PID: VictoriaMetrics (serves /api/v2/write, the write half of the InfluxDB
 * surface) and InfluxDB 1.6 (serves InfluxQL /query, the read half).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RunningEngine {
  url: string;
  port: number;
  /** Stops the process (by its PID) and waits for it to exit; the data dir is kept. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data dir. */
  start(): Promise<void>;
  /** Stops it and deletes its data dir. */
  destroy(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`engine exited (${child.exitCode}): ${output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok || res.status === 204) return;
    } catch {
      // not up yet
    }
    await sleep(50);
  }
  throw new Error(`engine at ${url} not ready: ${output()}`);
}

function engine(command: string, args: string[], readyUrl: string, url: string, port: number, dir: string) {
  let child: ChildProcess | null = null;
  let output = '';
  const api: RunningEngine = {
    url,
    port,
    async start() {
      output = '';
      const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
      proc.stdout?.on('data', keep);
      proc.stderr?.on('data', keep);
      await waitReady(readyUrl, proc, () => output);
    },
    async stop() {
      const proc = child;
      child = null;
      if (!proc || proc.exitCode !== null || proc.pid === undefined) return;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      process.kill(proc.pid, 'SIGTERM');
      const timer = setTimeout(() => proc.pid !== undefined && process.kill(proc.pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    async destroy() {
      await api.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return api;
}

/** VictoriaMetrics; `-dedup.minScrapeInterval=1ms` keeps one sample per series and millisecond,
 * matching InfluxDB's rule that a point written again overwrites itself. */
export async function startVictoriaMetrics(extraArgs: readonly string[] = []): Promise<RunningEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'wardline-vm-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const vm = engine(
    'victoria-metrics',
    [
      `-httpListenAddr=127.0.0.1:${port}`,
      `-storageDataPath=${dir}`,
      '-retentionPeriod=100y',
      '-dedup.minScrapeInterval=1ms',
      '-search.disableCache',
      '-loggerLevel=ERROR',
      ...extraArgs,
    ],
    `${url}/health`,
    url,
    port,
    dir,
  );
  await vm.start();
  return vm;
}

/** InfluxDB 1.6 with auth off and one database created. */
export async function startInfluxDb1(database: string): Promise<RunningEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'wardline-influxd-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = join(dir, 'influxdb.conf');
  writeFileSync(
    config,
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${await freePort()}"`,
      '[meta]',
      `  dir = "${join(dir, 'meta')}"`,
      '[data]',
      `  dir = "${join(dir, 'data')}"`,
      `  wal-dir = "${join(dir, 'wal')}"`,
      '  query-log-enabled = false',
      '[http]',
      `  bind-address = "127.0.0.1:${port}"`,
      '  log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '[logging]',
      '  level = "error"',
      '',
    ].join('\n'),
  );
  const influx = engine('influxd', ['run', '-config', config], `${url}/ping`, url, port, dir);
  await influx.start();
  const res = await fetch(`${url}/query`, {
    method: 'POST',
    body: new URLSearchParams({ q: `CREATE DATABASE "${database}"` }),
  });
  if (!res.ok) throw new Error(`CREATE DATABASE failed: ${res.status} ${await res.text()}`);
  return influx;
}

/** Line protocol into InfluxDB 1.x's own /write (1.6 has no /api/v2/write). */
export async function writeV1(url: string, database: string, lines: string[]): Promise<void> {
  const res = await fetch(`${url}/write?db=${encodeURIComponent(database)}&precision=ns`, {
    method: 'POST',
    body: lines.join('\n'),
  });
  if (res.status !== 204)
    throw Object.assign(new Error(`/write failed: ${res.status} ${await res.text()}`), {
      statusCode: res.status,
    });
}

export interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

/** Every sample VictoriaMetrics holds for series matching `match`, exactly as stored. */
export async function exportVictoriaMetrics(
  url: string,
  match = '{__name__=~".+"}',
): Promise<ExportedSeries[]> {
  // Freshly written samples become searchable after an internal flush.
  await fetch(`${url}/internal/force_flush`);
  const res = await fetch(`${url}/api/v1/export?${new URLSearchParams({ 'match[]': match, start: '0' })}`);
  if (!res.ok) throw new Error(`export failed: ${res.status} ${await res.text()}`);
  const text = await res.text();
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ExportedSeries);
}
