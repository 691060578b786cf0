/**
 * kill -9 of a gateway process while it is publishing, then a restart on the same outbox file:
 * every reading stored before the kill reaches the server, none is stored twice, and the
 * sequence carries on without reusing a number.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '@wardline/broker';
import type { RunningServer } from '@wardline/server';
import {
  gatewayPassword,
  startTestBroker,
  startTestServer,
  tempDir,
  waitUntil,
  readOutbox,
} from './support.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DEVICE = 'e2:00:00:00:00:21';

function startChild(env: Record<string, string>): Promise<ChildProcess> {
  // node --import tsx, not the tsx CLI: the CLI runs the script in a second process that a
  // SIGKILL of the first would leave running.
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'test/src/fixtures/gateway-child.ts')],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolveChild, reject) => {
    child.once('exit', (code) => reject(new Error(`gateway child exited early (${code})`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolveChild(child);
    });
  });
}

describe('gateway killed with SIGKILL while publishing', () => {
  let broker: RunningBroker;
  let server: RunningServer;
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await server?.close();
    await broker?.close();
  });

  it('loses nothing and stores nothing twice across kill -9 and restart', async () => {
    broker = await startTestBroker();
    server = await startTestServer(broker.port);
    await waitUntil(() => server.context.mqttConnected(), 'server MQTT session');
    const outboxPath = join(tempDir('kill'), 'outbox.db');
    const env = {
      CHILD_SITE: 'site-e2e',
      CHILD_GATEWAY: 'gw-4',
      CHILD_DEVICE: DEVICE,
      CHILD_PASSWORD: gatewayPassword('site-e2e', 'gw-4'),
      CHILD_BROKER_URL: `mqtt://127.0.0.1:${broker.port}`,
      CHILD_OUTBOX: outboxPath,
    };
    const stored = async () =>
      (await server.context.sql.get<{ n: number; seqs: number; maxSeq: number | null }>(
        'SELECT count(*) AS n, count(DISTINCT seq) AS seqs, max(seq) AS "maxSeq" FROM observations WHERE device_id = ?',
        [DEVICE],
      ))!;
    const outbox = () => readOutbox(outboxPath);

    // The first run takes readings faster than it may publish them, so a backlog is on disk and a
    // batch is in flight when it is killed; the second replays quickly.
    const first = await startChild({ ...env, CHILD_GENERATE: '1', CHILD_REPLAY_RATE: '300' });
    children.push(first);
    await waitUntil(
      async () => (await stored()).n >= 500 && outbox().pending > 0,
      'publishing with a backlog',
      20_000,
    );
    first.kill('SIGKILL');
    await new Promise((done) => first.once('exit', done));
    const atKill = outbox();
    const serverAtKill = (await stored()).n;
    expect(atKill.pending).toBeGreaterThan(0);

    const second = await startChild({ ...env, CHILD_GENERATE: '0', CHILD_REPLAY_RATE: '5000' });
    children.push(second);
    await waitUntil(
      async () => (await stored()).n >= atKill.next,
      'every stored reading at the server',
      20_000,
    );
    await waitUntil(() => outbox().pending === 0, 'the outbox to empty');
    await new Promise((done) => setTimeout(done, 300)); // anything sent twice would show up now
    expect(await stored()).toEqual({ n: atKill.next, seqs: atKill.next, maxSeq: atKill.next - 1 });
    console.log(
      `kill -9: ${atKill.next} readings taken, ${serverAtKill} at the server and ${atKill.pending} ` +
        'in the outbox at the kill; all delivered once after restart',
    );
    second.kill('SIGTERM');
  }, 45_000);
});
