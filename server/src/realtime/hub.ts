import {
  patientRoom,
  type AlertEvent,
  wardRoom,
  type ClientToServerEvents,
  type JoinWardAck,
  type ServerToClientEvents,
} from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import { Server } from 'socket.io';
import { tokenFromHeaders } from '../auth/plugin.js';
import type { AuthenticatedUser } from '../auth/user-repository.js';
import type { IngestOutcome } from '../ingest/ingest.js';

interface SocketData {
  user: AuthenticatedUser;
}

export interface RealtimeHub {
  broadcast(outcome: IngestOutcome): void;
  /** Alert events, to rooms the alert engine chose (ward rooms; patient rooms as consent allows). */
  emit(event: 'alert' | 'alertUpdate', rooms: string[], payload: AlertEvent): void;
  close(): Promise<void>;
}

/**
 * socket.io on the app's HTTP server. Connections authenticate with the session cookie or a
 * bearer token; staff join ward rooms on request, a family member is joined only to the room
 * of their own relative and can join nothing else.
 */
export function attachRealtime(app: FastifyInstance): RealtimeHub {
  const { users, wards } = app.wardline;
  const io = new Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>(
    app.server,
    {
      path: '/socket.io',
      serveClient: false,
    },
  );

  io.use((socket, next) => {
    const authToken: unknown = socket.handshake.auth?.token;
    const token =
      typeof authToken === 'string'
        ? authToken
        : tokenFromHeaders(
            {
              authorization: socket.handshake.headers.authorization,
              cookie: socket.handshake.headers.cookie,
            },
            app.parseCookie,
          );
    const user = token ? users.userForToken(token) : undefined;
    if (!user) {
      const err = new Error('Sign in to continue') as Error & { data: { code: string } };
      err.data = { code: 'WL_UNAUTHENTICATED' };
      return next(err);
    }
    socket.data.user = user;
    next();
  });

  const stopBedChanges = app.wardline.bedChanges.subscribe((event) =>
    io.to(wardRoom(event.wardId)).emit('bedChanged', event),
  );

  io.on('connection', (socket) => {
    const { user } = socket.data;
    if (user.role === 'family' && user.patientId) void socket.join(patientRoom(user.patientId));

    socket.on('joinWard', (wardId, ack) => {
      const reply = (result: JoinWardAck) => (typeof ack === 'function' ? ack(result) : undefined);
      if (user.role === 'family') return reply({ ok: false, code: 'WL_FORBIDDEN' });
      if (typeof wardId !== 'string' || !wards.wardExists(wardId))
        return reply({ ok: false, code: 'WL_NOT_FOUND' });
      void socket.join(wardRoom(wardId));
      reply({ ok: true });
    });
    socket.on('leaveWard', (wardId) => {
      if (typeof wardId === 'string') void socket.leave(wardRoom(wardId));
    });
  });

  return {
    broadcast(outcome) {
      for (const accepted of outcome.observations) {
        if (!accepted.wardId || !accepted.patientId) continue;
        io.to([wardRoom(accepted.wardId), patientRoom(accepted.patientId)]).emit('observation', {
          wardId: accepted.wardId,
          bedId: accepted.bedId,
          patientId: accepted.patientId,
          observation: accepted.observation,
          receivedAt: accepted.receivedAt,
        });
      }
      for (const device of outcome.deviceStatuses) {
        if (!device.wardId) continue;
        const rooms = [wardRoom(device.wardId), ...(device.patientId ? [patientRoom(device.patientId)] : [])];
        io.to(rooms).emit('deviceStatus', {
          wardId: device.wardId,
          bedId: device.bedId,
          status: device.status,
        });
      }
      const gateway = outcome.gatewayStatus;
      if (gateway?.wardId) {
        io.to(wardRoom(gateway.wardId)).emit('gatewayStatus', {
          wardId: gateway.wardId,
          gatewayId: gateway.gatewayId,
          status: gateway.status,
        });
      }
    },
    emit(event, rooms, payload) {
      if (rooms.length > 0) io.to(rooms).emit(event, payload);
    },
    async close() {
      // The HTTP server itself belongs to fastify, which closes it; only the sockets end here.
      stopBedChanges();
      io.disconnectSockets(true);
      io.engine.close();
    },
  };
}
