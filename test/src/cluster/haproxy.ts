/**
 * haproxy from Debian in front of the server replicas, as the highly available shape runs it:
 * HTTP and socket.io's WebSocket through one address, each replica checked every half second and
 * taken out of rotation when it stops answering, so a client whose replica died reconnects to
 * another one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineProcess, freePort, portOpen, waitFor } from './process.js';

export interface RunningHaproxy {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

/** The configuration for `backends` (host:port of each replica's HTTP listener). */
export function haproxyConfig(port: number, backends: readonly { host: string; port: number }[]): string {
  return [
    'global',
    '  maxconn 4000',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    // WebSocket connections live as long as the nurse's dashboard is open.
    '  timeout tunnel 1h',
    'frontend wardline',
    `  bind 127.0.0.1:${port}`,
    '  default_backend servers',
    'backend servers',
    '  balance leastconn',
    // Any answer shows the replica's event loop is alive; 503 only says something it depends on is
    // degraded (the same for every replica), which is no reason to send its clients elsewhere.
    '  option httpchk GET /api/health',
    '  http-check expect rstatus (200|503)',
    '  default-server inter 500 fall 2 rise 1',
    ...backends.map((b, i) => `  server replica${i + 1} ${b.host}:${b.port} check`),
    '',
  ].join('\n');
}

export async function startHaproxy(
  backends: readonly { host: string; port: number }[],
): Promise<RunningHaproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'wardline-haproxy-'));
  const port = await freePort();
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(config, haproxyConfig(port, backends));
  const proc = new EngineProcess('haproxy', 'haproxy', ['-db', '-f', config], {
    logPath: join(dir, 'haproxy.log'),
  });
  await waitFor('haproxy listening', async () => {
    if (!proc.running) throw new Error(`haproxy exited: ${proc.output}`);
    return portOpen(port);
  });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
