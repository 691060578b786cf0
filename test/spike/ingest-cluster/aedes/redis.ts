/**
 * Redis from Debian (`apt-get install redis-server`) as a real process on 127.0.0.1, with no
 * snapshot and no append-only file: what aedes' Redis persistence and mqemitter-redis share.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineProcess, freePort, waitFor } from '../../../src/cluster/process.js';

export interface RunningRedis {
  readonly port: number;
  readonly process: EngineProcess;
  /** Sends one command and returns Redis' raw reply (RESP), e.g. `INFO memory`. */
  command(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RunningRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'wardline-redis-'));
  const port = await freePort();
  const proc = new EngineProcess(
    'redis',
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no'],
    { logPath: join(dir, 'redis.log') },
  );
  const command = (...args: string[]) => redisCommand(port, args);
  await waitFor(`redis on ${port}`, async () => {
    if (!proc.running) throw new Error(`redis exited: ${proc.output}`);
    return (await command('PING').catch(() => '')).startsWith('+PONG');
  });
  return {
    port,
    process: proc,
    command,
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function redisCommand(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    socket.once('error', reject);
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (complete(reply)) {
        socket.destroy();
        resolve(reply);
      }
    });
    socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}

/** Enough of RESP for the replies used here: simple strings, integers, errors, bulk strings. */
function complete(reply: string): boolean {
  if (reply[0] !== '$') return reply.endsWith('\r\n');
  const header = reply.indexOf('\r\n');
  if (header < 0) return false;
  const length = Number(reply.slice(1, header));
  return length < 0 || Buffer.byteLength(reply) >= header + 2 + length + 2;
}
