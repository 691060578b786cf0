import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { ClientToServerEvents, ServerToClientEvents } from '@wardline/protocol';
import { io as connect, type Socket } from 'socket.io-client';
import { buildApp } from './app.js';
import type { ServerContext } from './context.js';
import { attachRealtime, type RealtimeHub } from './realtime/hub.js';
import { signInToken } from './testing.js';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * Live-feed tests: a signed-in socket.io client of a listening test app, joined to a ward if one is
 * given (and the join must succeed). The caller disconnects what it opened.
 */
export async function openTestSocket(
  app: FastifyInstance,
  base: string,
  username: string,
  wardId?: string,
): Promise<ClientSocket> {
  const socket: ClientSocket = connect(base, {
    auth: { token: await signInToken(app, username) },
    transports: ['websocket'],
    forceNew: true,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  if (wardId) {
    const ack = await new Promise((resolve) => socket.emit('joinWard', wardId, resolve));
    if ((ack as { ok?: boolean }).ok !== true) throw new Error(`joinWard ${wardId}: ${JSON.stringify(ack)}`);
  }
  return socket;
}

/** The app with its realtime hub, listening on a free local port, for live-feed tests. */
export async function startLiveTestApp(
  ctx: ServerContext,
): Promise<{ app: FastifyInstance; hub: RealtimeHub; base: string; close(): Promise<void> }> {
  let base = '';
  const app = await buildApp({ context: ctx, publicUrl: () => base });
  const hub = attachRealtime(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    app,
    hub,
    base,
    async close() {
      await hub.close();
      await app.close();
    },
  };
}
