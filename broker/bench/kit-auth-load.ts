/**
 * One load generator for kit-auth.bench.ts: opens its share of gateway connections at once with
 * hand-made CONNECTs (lighter than mqtt.js clients), and retries each refused one after 2 s, as the
 * gateway does (its reconnect period). Connections come from several loopback source addresses,
 * so thousands of refused and retried connections never run out of source ports.
 */
import { connect, type Socket } from 'node:net';
import { connectPacket } from '../src/testing/raw-mqtt.js';

const { port, from, to, passwordOf, sources } = JSON.parse(process.env.KIT_AUTH_LOAD!) as {
  port: number;
  from: number;
  to: number;
  /** "shared:<password>" or "kit:<base>" (each gateway's secret is `${base}-${index}`). */
  passwordOf: string;
  sources: number;
};
const RETRY_MS = 2000;
const usernameOf = (i: number) => `bench-site.gw-${i}`;
const password = (i: number) =>
  passwordOf.startsWith('shared:') ? passwordOf.slice(7) : `${passwordOf.slice(4)}-${i}`;

const open: Socket[] = [];
let connected = 0;
let refusals = 0;
let attempts = 0;
let lastConnectedAt = 0;

function attempt(i: number): void {
  attempts += 1;
  const socket = connect({ port, host: '127.0.0.1', localAddress: `127.0.0.${2 + (i % sources)}` });
  let answered = false;
  const retry = () => {
    if (answered) return;
    answered = true;
    refusals += 1;
    socket.destroy();
    setTimeout(() => attempt(i), RETRY_MS);
  };
  socket.on('error', retry);
  socket.once('close', retry);
  socket.write(connectPacket({ clientId: usernameOf(i), username: usernameOf(i), password: password(i) }));
  let received = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    if (answered) return;
    received = Buffer.concat([received, chunk]);
    if (received.length < 4) return;
    if (received[0] !== 0x20 || received[3] !== 0) return retry();
    answered = true;
    open.push(socket);
    connected += 1;
    lastConnectedAt = Date.now();
    if (connected === to - from) process.send!({ done: true, lastConnectedAt, refusals, attempts });
  });
}

process.on('message', (message: string) => {
  if (message === 'go') for (let i = from; i < to; i++) attempt(i);
  if (message === 'progress') process.send!({ connected, refusals, attempts });
  if (message === 'exit') {
    for (const socket of open) socket.destroy();
    process.exit(0);
  }
});
process.send!({ ready: true });
