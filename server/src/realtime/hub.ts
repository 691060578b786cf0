import {
  patientRoom,
  type AlertEvent,
  wardRoom,
  type ClientToServerEvents,
  type JoinWardAck,
  type ObservationEvent,
  type ServerToClientEvents,
} from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import { Server, type ServerOptions } from 'socket.io';
import { canSeeWard } from '../auth/access.js';
import { createSnapshots } from '../alerts/snapshot.js';
import { isReading, mayShowClinicalDetail } from '../auth/family-consent.js';
import { tokenFromHeaders } from '../auth/plugin.js';
import type { AuthenticatedUser } from '../auth/user-repository.js';
import type { IngestOutcome } from '../ingest/ingest.js';
import { handshakeCheck } from '../web/origin.js';

interface SocketData {
  user: AuthenticatedUser;
  /** The session the connection belongs to: it ends when the session does. */
  tokenHash: string;
}

/** Rooms that group each session's and each user's sockets, so they can be cut together. */
const sessionRoom = (tokenHash: string) => `session:${tokenHash}`;
const userRoom = (username: string) => `user:${username}`;

/** How often open connections' sessions are touched and dead sessions swept. */
const SESSION_WATCH_MS = 60_000;

/** setTimeout's ceiling (about 24.8 days); sessions are far shorter. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface RealtimeHub {
  /** The outcomes of one committed group, in commit order: see broadcastGroup below. */
  broadcastGroup(outcomes: readonly IngestOutcome[]): void;
  /** One message's outcome on its own (a manual observation, a test): a group of one. */
  broadcast(outcome: IngestOutcome): void;
  /** Alert events, to rooms the alert engine chose (ward rooms; patient rooms as consent allows). */
  emit(event: 'alert' | 'alertUpdate', rooms: string[], payload: AlertEvent): void;
  /**
   * Rescores the residents whose readings went stale since the last call and pushes the changed
   * scores (runs every alerting tick; `at` for tests on a simulated clock).
   */
  rescoreStaleNews2(at?: Date): Promise<void>;
  close(): Promise<void>;
}

/**
 * socket.io on the app's HTTP server. Connections authenticate with the session cookie or a
 * bearer token; staff join ward rooms on request, a family member is joined only to the room
 * of their own relative and can join nothing else. A connection lives no longer than its
 * session: sign-out, expiry and disabling the user cut it at once.
 */
/** What replicas tell each other through the adapter (never sent to a browser). */
interface BetweenReplicas {
  /** A group's readings another replica stored: for the family sockets connected here. */
  familyReadings: (events: ObservationEvent[]) => void;
}

export interface RealtimeOptions {
  /**
   * socket.io's adapter spanning server replicas (PostgreSQL's LISTEN/NOTIFY): a broadcast to a room
   * reaches its sockets on every replica. Without it, this process's sockets only.
   */
  adapter?: ServerOptions['adapter'];
  /** Registers what to do when the adapter's link to the other replicas is back after a break. */
  relistened?: (listener: () => void) => void;
}

export function attachRealtime(app: FastifyInstance, options: RealtimeOptions = {}): RealtimeHub {
  const { users, places, webMetrics, serverMetrics } = app.wardline;
  const { contacts } = app.wardline.alerting;
  const io = new Server<ClientToServerEvents, ServerToClientEvents, BetweenReplicas, SocketData>(app.server, {
    path: '/socket.io',
    serveClient: false,
    ...(options.adapter ? { adapter: options.adapter } : {}),
    allowRequest: (request, callback) => {
      if (handshakeCheck(request.headers, app.isOwnOrigin)) return callback(null, true);
      webMetrics.refuse('WL_BAD_ORIGIN');
      app.log.warn(
        { component: 'realtime', code: 'WL_BAD_ORIGIN', origin: request.headers.origin ?? null },
        'socket.io handshake refused: not from this origin',
      );
      callback('WL_BAD_ORIGIN', false);
    },
  });

  // Only this replica's sockets: each replica hears of its own link coming back.
  options.relistened?.(() => io.local.emit('resync'));

  io.use(async (socket, next) => {
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
    let session: Awaited<ReturnType<typeof users.sessionForToken>>;
    try {
      session = token ? await users.sessionForToken(token) : undefined;
    } catch (err) {
      return next(err as Error);
    }
    // A session that must enrol a second factor first sees nothing live either.
    if (!session || session.secondFactor === 'enrol-required') {
      const err = new Error('Sign in to continue') as Error & { data: { code: string } };
      err.data = { code: 'WL_UNAUTHENTICATED' };
      return next(err);
    }
    socket.data.user = session.user;
    socket.data.tokenHash = session.tokenHash;
    const expiresIn = Date.parse(session.expiresAt) - Date.now();
    const expiry = setTimeout(() => socket.disconnect(true), Math.min(MAX_TIMER_MS, expiresIn));
    socket.once('disconnect', () => clearTimeout(expiry));
    next();
  });

  const stopSessionWatch = users.onSessionsEnded((ended) => {
    const room = 'tokenHash' in ended ? sessionRoom(ended.tokenHash) : userRoom(ended.username);
    io.in(room).disconnectSockets(true);
  });

  // Once a minute: an open connection is use (a wallboard must not be signed out for idleness, which
  // would silently stop its alerts), so its session is touched; sessions that expired or went idle
  // are ended, and their connections cut, as are connections whose session is gone by any path.
  const watchSessions = async () => {
    const seen = new Map<string, boolean>();
    for (const socket of io.of('/').sockets.values()) {
      const { tokenHash } = socket.data;
      if (!tokenHash) continue;
      let live = seen.get(tokenHash);
      if (live === undefined)
        seen.set(tokenHash, (live = (await users.sessionForHash(tokenHash)) !== undefined));
      if (!live) socket.disconnect(true);
    }
    await users.sweepSessions();
  };
  const sessionWatch = setInterval(() => {
    watchSessions().catch((err: unknown) =>
      app.log.error({ component: 'realtime', err: (err as Error).message }, 'session watch failed'),
    );
  }, SESSION_WATCH_MS);
  sessionWatch.unref();

  const stopCountingSockets = serverMetrics.countSockets(function* () {
    for (const socket of io.of('/').sockets.values()) yield socket.data.user.role;
  });

  const stopBedChanges = app.wardline.bedChanges.subscribe((event) =>
    io.to(wardRoom(event.wardId)).emit('bedChanged', event),
  );
  // Clinical detail: to the ward's staff only, never to a family member's room.
  const stopFallsRisk = app.wardline.bedChanges.subscribeFallsRisk((event) =>
    io.to(wardRoom(event.wardId)).emit('fallsRisk', event),
  );

  // NEWS2 counts a reading only while it is fresh: when one goes stale the score changes with no
  // reading arriving, so it is rescored on a timer, recorded and pushed like any other change.
  const { config: alertingConfig, thresholds } = app.wardline.alerting;
  const snapshots = createSnapshots(app.wardline.sql, alertingConfig);
  const scoreAt = async (patientId: string, at: Date) =>
    (await snapshots.news2(patientId, (await thresholds.forPatient(patientId)).spo2Scale, at)).summary;
  async function rescoreStaleNews2(at = new Date()): Promise<void> {
    try {
      for (const event of await app.wardline.news2History.rescoreStale(at, alertingConfig, scoreAt))
        io.to(wardRoom(event.wardId)).emit('news2', event);
    } catch (err) {
      app.log.error({ component: 'realtime', err: (err as Error).message }, 'stale NEWS2 not rescored');
    }
  }
  // One replica re-scores (and pushes to every replica's sockets through the adapter); the lease
  // passes on within three ticks of that replica dying.
  const rescoreTimer = setInterval(() => {
    app.wardline.replica.leads('news2-rescore', alertingConfig.tickMs * 3).then(
      (mine) => (mine ? rescoreStaleNews2() : undefined),
      (err: Error) => app.log.error({ component: 'realtime', err: err.message }, 'stale NEWS2 not rescored'),
    );
  }, alertingConfig.tickMs);
  rescoreTimer.unref();

  io.on('connection', (socket) => {
    const { user, tokenHash } = socket.data;
    void socket.join([sessionRoom(tokenHash), userRoom(user.username)]);
    if (user.role === 'family' && user.patientId) void socket.join(patientRoom(user.patientId));

    socket.on('joinWard', (wardId, ack) => {
      const reply = (result: JoinWardAck) => (typeof ack === 'function' ? ack(result) : undefined);
      // A database failure answers the one client; a rejection left unhandled would end the process.
      joinWard(wardId, reply).catch((err: unknown) => {
        app.log.error({ component: 'realtime', err: (err as Error).message }, 'ward join failed');
        reply({ ok: false, code: 'WL_UNAVAILABLE' });
      });
    });
    const joinWard = async (wardId: unknown, reply: (result: JoinWardAck) => void) => {
      // Belt and braces: whatever ended the session, a join on it is refused and the socket cut.
      if (!(await users.sessionForHash(tokenHash))) {
        reply({ ok: false, code: 'WL_UNAUTHENTICATED' });
        socket.disconnect(true);
        return;
      }
      if (user.role === 'family') return reply({ ok: false, code: 'WL_FORBIDDEN' });
      // Another organisation's ward (or one outside a ward-limited user's) is as absent as none.
      const ward = typeof wardId === 'string' ? await places.wardScope(wardId) : undefined;
      if (!ward || ward.closedAt || !canSeeWard(user, ward))
        return reply({ ok: false, code: 'WL_NOT_FOUND' });
      void socket.join(wardRoom(wardId as string));
      reply({ ok: true });
    };
    socket.on('leaveWard', (wardId) => {
      if (typeof wardId === 'string') void socket.leave(wardRoom(wardId));
    });
  });

  /**
   * A reading to the family members in the resident's room, each as their consent allows: the
   * reading itself with consent to clinical detail, otherwise only that one arrived (and nothing
   * for a fall or help press, which reach them as alerts). Consent is read at each send, so a
   * change takes effect without a reconnect. Staff are never in patient rooms.
   */
  // Each replica decides for the family sockets connected to it (consent is per socket's user);
  // the others hear of a group's readings in one message through the adapter.
  const toLocalFamilies = (events: readonly ObservationEvent[]) => {
    for (const event of events)
      toLocalFamily(event).catch((err: unknown) =>
        app.log.error({ component: 'realtime', err: (err as Error).message }, 'family event not sent'),
      );
  };
  io.on('familyReadings', toLocalFamilies);

  async function toLocalFamily(event: ObservationEvent) {
    const ids = io.of('/').adapter.rooms.get(patientRoom(event.patientId));
    if (!ids) return;
    for (const id of [...ids]) {
      const socket = io.of('/').sockets.get(id);
      if (!socket) continue;
      if (await mayShowClinicalDetail(contacts, socket.data.user, event.patientId))
        socket.emit('observation', event);
      else if (isReading(event.observation))
        socket.emit('readingArrived', {
          patientId: event.patientId,
          measuredAt: event.observation.measuredAt,
          receivedAt: event.receivedAt,
        });
    }
  }

  /** Device, gateway and NEWS2 changes of one message, to the rooms they concern. */
  function statusesOf(outcome: IngestOutcome) {
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
    news2Of(outcome).catch((err: unknown) =>
      app.log.error({ component: 'realtime', err: (err as Error).message }, 'NEWS2 history not recorded'),
    );
  }

  /** NEWS2 is clinical detail: to the ward's staff only, never to a family member's room. */
  async function news2Of(outcome: IngestOutcome): Promise<void> {
    for (const event of await app.wardline.news2History.track(
      outcome,
      app.wardline.alerting.news2After(outcome),
    ))
      io.to(wardRoom(event.wardId)).emit('news2', event);
  }

  /**
   * One committed group: each ward's readings go to its room as ONE `observations` event, in commit
   * order (at thousands of readings a second a packet and a render per reading would swamp every
   * open dashboard); family members still get theirs one by one, each as their consent allows.
   */
  function broadcastGroup(outcomes: readonly IngestOutcome[]) {
    const byWard = new Map<string, ObservationEvent[]>();
    for (const outcome of outcomes) {
      for (const accepted of outcome.observations) {
        if (!accepted.wardId || !accepted.patientId) continue;
        const event: ObservationEvent = {
          wardId: accepted.wardId,
          bedId: accepted.bedId,
          patientId: accepted.patientId,
          observation: accepted.observation,
          receivedAt: accepted.receivedAt,
        };
        const ward = byWard.get(event.wardId);
        if (ward) ward.push(event);
        else byWard.set(event.wardId, [event]);
      }
    }
    const events = [...byWard.values()].flat();
    if (options.adapter && events.length > 0) io.serverSideEmit('familyReadings', events);
    toLocalFamilies(events);
    for (const [wardId, observations] of byWard)
      io.to(wardRoom(wardId)).emit('observations', { wardId, observations });
    for (const outcome of outcomes) statusesOf(outcome);
  }

  return {
    broadcastGroup,
    broadcast: (outcome) => broadcastGroup([outcome]),
    rescoreStaleNews2,
    emit(event, rooms, payload) {
      if (rooms.length === 0) return;
      io.to(rooms).emit(event, payload);
      serverMetrics.alertPushed(payload);
    },
    async close() {
      // The HTTP server itself belongs to fastify, which closes it; only the sockets end here.
      stopBedChanges();
      stopFallsRisk();
      clearInterval(rescoreTimer);
      stopSessionWatch();
      clearInterval(sessionWatch);
      stopCountingSockets();
      io.disconnectSockets(true);
      // The replicas' adapter gives its LISTEN connection back to the pool, which can then close.
      await io.of('/').adapter.close();
      io.engine.close();
    },
  };
}
