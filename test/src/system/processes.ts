/**
 * A Wardline process started the way production starts it (node running the package's main
 * module), with its output kept in a log file for a post-mortem, and the controls the benches
 * and fault tests need: graceful stop, kill -9, resident memory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const repoRoot = resolve(import.meta.dirname, '../../..');

export class ManagedProcess {
  #child: ChildProcess | null = null;
  #exit: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly script: string,
    private readonly env: () => Record<string, string>,
    private readonly logPath: string,
    private readonly nodeArgs: string[] = [],
  ) {}

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== null && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    const log = createWriteStream(this.logPath, { flags: 'a' });
    // node itself (not the tsx CLI, which forks a grandchild) so that a signal reaches the process.
    const child = spawn(
      process.execPath,
      [...this.nodeArgs, '--import', 'tsx', resolve(repoRoot, this.script)],
      {
        cwd: repoRoot,
        env: { ...process.env, ...this.env() },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    // One log for both streams, ended only when the process has exited.
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    child.once('close', () => log.end());
    this.#child = child;
    // Never outlive the test or bench that started it, even when that process dies abruptly.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    this.#exit = new Promise((done) =>
      child.once('exit', () => {
        process.off('exit', killOnExit);
        done();
      }),
    );
  }

  /** SIGTERM and wait (SIGKILL after `graceMs`), or SIGKILL at once. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM', graceMs = 15_000): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    child.kill(signal);
    const timedOut = await Promise.race([this.#exit.then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut) {
      child.kill('SIGKILL');
      await this.#exit;
    }
  }

  /** Resident set size in bytes, from /proc. */
  rssBytes(): number {
    const pid = this.pid;
    if (!pid || !this.running) return 0;
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  }

  /** The last lines of the process's log, for a failure message. */
  tail(lines = 30): string {
    try {
      return readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}

export async function waitForHttp(url: string, timeoutMs = 60_000, process?: ManagedProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (process && !process.running) throw new Error(`${process.name} exited:\n${process.tail()}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `${res.status} ${(await res.text()).slice(0, 2000)}`;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(
    `${url} not ready after ${timeoutMs} ms (last: ${last})${process ? `:\n${process.tail()}` : ''}`,
  );
}
