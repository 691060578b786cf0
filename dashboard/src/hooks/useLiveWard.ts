import type {
  BedChangedEvent,
  BedState,
  DeviceStatusEvent,
  FallsRiskEvent,
  GatewayStatusEvent,
  ObservationBatchEvent,
} from '@wardline/protocol';
import { useCallback, useEffect, useRef, useState } from 'react';
import { describeError, listBeds } from '../api/client.js';
import { applyWardEvent, sortBeds, type WardEvent } from '../state/beds.js';
import { firstFetchDelay, type SocketState } from './useSocket.js';

export type SyncStatus =
  { state: 'syncing' } | { state: 'synced'; at: number } | { state: 'failed'; message: string };

/** What the connection indicator shows. Only 'live' promises the screen is current. */
export type LiveState = 'connecting' | 'syncing' | 'live' | 'lost' | 'error';

export interface LiveWard {
  /** null until the first snapshot has arrived. */
  beds: BedState[] | null;
  liveState: LiveState;
  /** When the last full snapshot arrived. */
  lastSyncedAt: number | null;
  errorMessage: string | null;
}

const JOIN_TIMEOUT_MS = 5000;
const RETRY_MIN_MS = 2000;
const RETRY_MAX_MS = 30_000;
/** Resyncs asked for by unexpected events are spaced at least this far apart. */
const RESYNC_SPACING_MS = 10_000;

/**
 * A ward's beds kept live: fetch a snapshot, then apply socket events on top. On every
 * (re)connection it re-joins the ward room first and then fetches a fresh snapshot, replaying any
 * events that arrived while the fetch was in flight, so nothing falls in the gap and the screen
 * is never silently stale. Mount it with `key={wardId}` so a ward change starts afresh.
 */
export function useLiveWard(socketState: SocketState, wardId: string): LiveWard {
  const { socket, status, connectCount } = socketState;
  const delay = firstFetchDelay(socketState);
  const [beds, setBeds] = useState<BedState[] | null>(null);
  const [sync, setSync] = useState<SyncStatus>({ state: 'syncing' });
  const [lastSyncedAt, setLastSyncedAt] = useState<number | null>(null);
  /** The connection (by connectCount) on which the ward room was joined and a snapshot taken. */
  const [liveOnConnection, setLiveOnConnection] = useState<number | null>(null);
  const [resyncToken, setResyncToken] = useState(0);

  const bedsRef = useRef<BedState[] | null>(null);
  /** Events received while a snapshot fetch is in flight; null when no fetch is. */
  const bufferRef = useRef<WardEvent[] | null>(null);
  const lastSyncStartRef = useRef(0);
  const resyncTimerRef = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const failuresRef = useRef(0);

  const requestResync = useCallback(() => {
    if (resyncTimerRef.current !== undefined) return;
    const wait = Math.max(0, lastSyncStartRef.current + RESYNC_SPACING_MS - Date.now());
    resyncTimerRef.current = setTimeout(() => {
      resyncTimerRef.current = undefined;
      setResyncToken((n) => n + 1);
    }, wait);
  }, []);

  useEffect(() => () => clearTimeout(resyncTimerRef.current), []);

  // Live events.
  useEffect(() => {
    const handle = (ev: WardEvent) => {
      if (ev.event.wardId !== wardId) return;
      bufferRef.current?.push(ev);
      const current = bedsRef.current;
      if (!current) return;
      const result = applyWardEvent(current, wardId, ev);
      if (result.beds !== current) {
        bedsRef.current = result.beds;
        setBeds(result.beds);
      }
      if (result.resync) requestResync();
    };
    // A whole group's readings at once: one state update, one render.
    const onObservations = (event: ObservationBatchEvent) => handle({ type: 'observations', event });
    const onDeviceStatus = (event: DeviceStatusEvent) => handle({ type: 'deviceStatus', event });
    const onGatewayStatus = (event: GatewayStatusEvent) => handle({ type: 'gatewayStatus', event });
    const onBedChanged = (event: BedChangedEvent) => handle({ type: 'bedChanged', event });
    const onFallsRisk = (event: FallsRiskEvent) => handle({ type: 'fallsRisk', event });
    socket.on('observations', onObservations);
    socket.on('deviceStatus', onDeviceStatus);
    socket.on('gatewayStatus', onGatewayStatus);
    socket.on('bedChanged', onBedChanged);
    socket.on('fallsRisk', onFallsRisk);
    return () => {
      socket.off('observations', onObservations);
      socket.off('deviceStatus', onDeviceStatus);
      socket.off('gatewayStatus', onGatewayStatus);
      socket.off('bedChanged', onBedChanged);
      socket.off('fallsRisk', onFallsRisk);
    };
  }, [socket, wardId, requestResync]);

  // Leave the room when the ward view goes away (ward change, sign-out).
  useEffect(
    () => () => {
      if (socket.connected) socket.emit('leaveWard', wardId);
    },
    [socket, wardId],
  );

  // Join + snapshot, on mount, on every (re)connection and whenever a resync is asked for.
  useEffect(() => {
    let cancelled = false;
    const abort = new AbortController();
    let retryTimer: ReturnType<typeof setTimeout> | undefined;

    const fail = (message: string) => {
      bufferRef.current = null;
      setSync({ state: 'failed', message });
      failuresRef.current += 1;
      const wait = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (failuresRef.current - 1));
      retryTimer = setTimeout(() => setResyncToken((n) => n + 1), wait);
    };

    const run = async () => {
      lastSyncStartRef.current = Date.now();
      setSync({ state: 'syncing' });
      let joined = false;
      if (socket.connected) {
        try {
          const ack = await socket.timeout(JOIN_TIMEOUT_MS).emitWithAck('joinWard', wardId);
          if (cancelled) return;
          if (!ack.ok) {
            fail(`The server refused live updates for this ward (${ack.code}).`);
            return;
          }
          joined = true;
        } catch {
          if (cancelled) return;
          fail('The server did not answer the request for live updates.');
          return;
        }
      }
      bufferRef.current = [];
      try {
        const snapshot = await listBeds(wardId, abort.signal);
        if (cancelled) return;
        let next = sortBeds(snapshot);
        let needsResync = false;
        for (const ev of bufferRef.current) {
          const result = applyWardEvent(next, wardId, ev);
          next = result.beds;
          needsResync ||= result.resync;
        }
        bufferRef.current = null;
        bedsRef.current = next;
        setBeds(next);
        failuresRef.current = 0;
        const at = Date.now();
        setSync({ state: 'synced', at });
        setLastSyncedAt(at);
        setLiveOnConnection(joined ? connectCount : null);
        // Connected while the snapshot was in flight without joining: join now, or we are not live.
        if (needsResync || (!joined && socket.connected)) requestResync();
      } catch (err) {
        if (cancelled) return;
        fail(describeError(err));
      }
    };
    const start = setTimeout(() => void run(), delay);
    return () => {
      cancelled = true;
      abort.abort();
      clearTimeout(start);
      clearTimeout(retryTimer);
      bufferRef.current = null;
    };
  }, [socket, wardId, connectCount, resyncToken, requestResync, delay]);

  let liveState: LiveState;
  if (status === 'disconnected') liveState = 'lost';
  else if (sync.state === 'failed') liveState = 'error';
  else if (status === 'connecting') liveState = 'connecting';
  else if (sync.state === 'syncing' || liveOnConnection !== connectCount) liveState = 'syncing';
  else liveState = 'live';

  return {
    beds,
    liveState,
    lastSyncedAt,
    errorMessage: sync.state === 'failed' ? sync.message : null,
  };
}
