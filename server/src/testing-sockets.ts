import type { FastifyInstance } from 'fastify';
import type { ClientToServerEvents, ServerToClientEvents } from '@wardline/protocol';
import { io as connect, type Socket } from 'socket.io-client';
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
