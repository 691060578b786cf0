import type { ClientToServerEvents, ServerToClientEvents } from '@wardline/protocol';
import { useEffect, useRef, useState } from 'react';
import { io, type Socket } from 'socket.io-client';
import { getSession } from '../api/client.js';

export type WardSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** connecting: not connected yet; disconnected: lost, socket.io is retrying. */
export type ConnectionStatus = 'connecting' | 'connected' | 'disconnected';

export interface SocketState {
  socket: WardSocket;
  status: ConnectionStatus;
  /**
   * Increments on every successful (re)connection, and when the server says its replica may have
   * missed live updates: subscribers re-join rooms and resync then.
   */
  connectCount: number;
}

const RETRY_AFTER_DENIAL_MS = 5000;
/** How long a screen opening before the first connection waits for it before fetching without it. */
const FIRST_CONNECT_WAIT_MS = 2000;

/**
 * The delay before a live screen's first fetch: the screens fetch a snapshot on every
 * (re)connection, so fetching before the first one completes would fetch everything twice and
 * put a round trip on every page load. 0 once connected or after a failure to connect.
 */
export function firstFetchDelay({ socket, status, connectCount }: SocketState): number {
  return connectCount === 0 && status === 'connecting' && !socket.connected ? FIRST_CONNECT_WAIT_MS : 0;
}

/**
 * One socket.io connection for the signed-in session, on this origin, authenticated by the
 * session cookie. Reconnects by itself; when the server refuses or drops the connection (which
 * socket.io does not retry) it checks the session: expired -> `onUnauthorized`, else retries.
 */
export function useSocket(onUnauthorized: () => void): SocketState {
  const [socket] = useState<WardSocket>(() =>
    io({
      path: '/socket.io',
      autoConnect: false,
      forceNew: true,
      withCredentials: true,
      // Straight to a WebSocket (one handshake, not three HTTP round trips before a screen can
      // join its room); long-polling still if something on the way refuses WebSockets.
      transports: ['websocket', 'polling'],
      tryAllTransports: true,
    }),
  );
  const [status, setStatus] = useState<ConnectionStatus>('connecting');
  const [connectCount, setConnectCount] = useState(0);
  const onUnauthorizedRef = useRef(onUnauthorized);
  useEffect(() => {
    onUnauthorizedRef.current = onUnauthorized;
  });

  useEffect(() => {
    let disposed = false;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;

    const recoverFromDenial = async () => {
      let session: Awaited<ReturnType<typeof getSession>> | undefined;
      try {
        session = await getSession();
      } catch {
        session = undefined; // server unreachable: keep retrying
      }
      if (disposed) return;
      if (session === null) {
        onUnauthorizedRef.current();
        return;
      }
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => {
        if (!disposed && !socket.connected) socket.connect();
      }, RETRY_AFTER_DENIAL_MS);
    };

    const onConnect = () => {
      setStatus('connected');
      setConnectCount((n) => n + 1);
    };
    // The server's replica may have missed live updates from the others: reload as after a reconnection.
    const onResync = () => setConnectCount((n) => n + 1);
    const onDisconnect = () => {
      setStatus('disconnected');
      // 'io server disconnect': the server closed it on purpose and socket.io will not retry.
      if (!socket.active) void recoverFromDenial();
    };
    const onConnectError = () => {
      setStatus('disconnected');
      // A middleware refusal (for example an expired session) leaves the socket inactive.
      if (!socket.active) void recoverFromDenial();
    };

    socket.on('connect', onConnect);
    socket.on('resync', onResync);
    socket.on('disconnect', onDisconnect);
    socket.on('connect_error', onConnectError);
    socket.connect();
    return () => {
      disposed = true;
      clearTimeout(retryTimer);
      socket.off('connect', onConnect);
      socket.off('resync', onResync);
      socket.off('disconnect', onDisconnect);
      socket.off('connect_error', onConnectError);
      socket.disconnect();
    };
  }, [socket]);

  return { socket, status, connectCount };
}
