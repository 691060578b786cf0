/**
 * One engine process (a broker node, Redis, a stand-in server replica) started as a real
 * process on 127.0.0.1, with its output kept for a post-mortem and the controls cluster tests
 * need: kill -9 by PID, graceful stop, CPU seconds and resident memory read from /proc.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export { freePort } from '../../../server/src/testing-engines.js';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on every Linux we run on). */
const TICKS_PER_SECOND = 100;

export class EngineProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #tail = '';

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    options: SpawnOptions & { logPath: string },
  ) {
    const { logPath, ...spawnOptions } = options;
    const log = createWriteStream(logPath, { flags: 'a' });
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOptions });
    const keep = (chunk: Buffer) => {
      log.write(chunk);
      this.#tail = (this.#tail + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('close', () => log.end());
    // Never outlive the run that started it, even when that run dies abruptly.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    this.#exited = new Promise((done) =>
      child.once('exit', () => {
        process.off('exit', killOnExit);
        done();
      }),
    );
    this.#child = child;
  }

  get child(): ChildProcess {
    return this.#child;
  }

  get pid(): number {
    const pid = this.#child.pid;
    if (pid === undefined) throw new Error(`${this.name} did not start: ${this.#tail}`);
    return pid;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** The last few kB the process wrote, for error messages. */
  get output(): string {
    return this.#tail;
  }

  /** kill -9, as a crash of the machine would; resolves once the process is gone. */
  async kill9(): Promise<void> {
    if (!this.running) return;
    this.#child.kill('SIGKILL');
    await this.#exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.#child.kill('SIGTERM');
    const late = await Promise.race([this.#exited.then(() => false), sleep(graceMs).then(() => true)]);
    if (late) await this.kill9();
  }

  exited(): Promise<void> {
    return this.#exited;
  }

  cpuSeconds(): number {
    return this.running ? cpuSecondsOf(this.pid) : 0;
  }

  rssBytes(): number {
    return this.running ? rssBytesOf(this.pid) : 0;
  }
}

/** User + system CPU time of a live process, in seconds. */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

export function rssBytesOf(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * CPU seconds of a process and its children, living (each PostgreSQL backend is a child of the
 * postmaster, in a session of its own) and exited (counted in the parent once reaped).
 */
export function cpuSecondsOfTree(pid: number): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(entry) === pid) {
        total += fields.slice(11, 15).reduce((s, f) => s + Number(f), 0) / TICKS_PER_SECOND;
      } else if (Number(fields[1]) === pid) {
        total += (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
      }
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** Resident memory of a process and its living children, summed (shared pages once per process). */
export function rssBytesOfTree(pid: number): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(entry) === pid || Number(fields[1]) === pid) total += rssBytesOf(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** The PID of the process whose command line holds every one of `parts` (e.g. a server's port). */
export function findPid(parts: readonly string[]): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (parts.every((p) => cmdline.includes(p))) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}
