import type { Alert, AlertEvent } from '@wardline/protocol';
import { useCallback, useEffect, useRef, useState } from 'react';
import { describeError, listAlerts, type AlertQuery } from '../api/client.js';
import { mergeAlert } from '../lib/alerts.js';
import { firstFetchDelay, type SocketState } from './useSocket.js';

export interface AlertFeed {
  /** Every alert known to this view, by id (snapshot plus live events); null before the first snapshot. */
  alerts: ReadonlyMap<number, Alert> | null;
  state: 'syncing' | 'synced' | 'failed';
  errorMessage: string | null;
  /** Merges an alert the API returned (after acknowledge/resolve) without waiting for the event. */
  apply: (alert: Alert) => void;
}

interface Options {
  /** REST snapshots taken on mount and on every (re)connection; their results are merged. */
  queries: AlertQuery[];
  /** Ward rooms to join before the snapshot, so no event falls between fetch and join. */
  joinWards: string[];
  /** Leave the rooms again on unmount (not when another hook of the same screen owns the room). */
  leaveOnUnmount: boolean;
  /** Which live alerts belong in this view. */
  accept: (alert: Alert) => boolean;
  /** Called for each live event this view accepts (sound, announcements). */
  onEvent?: (event: AlertEvent) => void;
}

const JOIN_TIMEOUT_MS = 5000;

/**
 * Clinical alerts kept live: join the ward rooms, take a snapshot, then merge `alert` and
 * `alertUpdate` events on top. Every (re)connection joins and snapshots again (resync), and a
 * late snapshot never undoes a newer event (see `mergeAlert`).
 */
export function useAlertFeed(socketState: SocketState, options: Options): AlertFeed {
  const { socket, connectCount } = socketState;
  const delay = firstFetchDelay(socketState);
  const [alerts, setAlerts] = useState<ReadonlyMap<number, Alert> | null>(null);
  const [state, setState] = useState<AlertFeed['state']>('syncing');
  const [errorMessage, setErrorMessage] = useState<string | null>(null);
  const optionsRef = useRef(options);
  useEffect(() => {
    optionsRef.current = options;
  });
  const queriesKey = JSON.stringify(options.queries);
  const wardsKey = options.joinWards.join('\n');

  // Live events: merged whenever they arrive, also while a snapshot is in flight.
  const pendingRef = useRef<Alert[]>([]);
  useEffect(() => {
    const handle = (event: AlertEvent) => {
      if (!optionsRef.current.accept(event.alert)) return;
      pendingRef.current.push(event.alert);
      setAlerts((map) => (map ? mergeAlert(map, event.alert) : map));
      optionsRef.current.onEvent?.(event);
    };
    socket.on('alert', handle);
    socket.on('alertUpdate', handle);
    return () => {
      socket.off('alert', handle);
      socket.off('alertUpdate', handle);
    };
  }, [socket]);

  useEffect(() => {
    const { leaveOnUnmount } = optionsRef.current;
    const wards = wardsKey ? wardsKey.split('\n') : [];
    return () => {
      if (leaveOnUnmount && socket.connected) for (const w of wards) socket.emit('leaveWard', w);
    };
  }, [socket, wardsKey]);

  useEffect(() => {
    const abort = new AbortController();
    let cancelled = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const queries = JSON.parse(queriesKey) as AlertQuery[];
    const wards = wardsKey ? wardsKey.split('\n') : [];
    const run = async () => {
      setState('syncing');
      if (socket.connected) {
        await Promise.all(
          wards.map((w) =>
            socket
              .timeout(JOIN_TIMEOUT_MS)
              .emitWithAck('joinWard', w)
              .catch(() => null),
          ),
        );
      }
      if (cancelled) return;
      pendingRef.current = [];
      try {
        const results = await Promise.all(queries.map((q) => listAlerts(q, abort.signal)));
        if (cancelled) return;
        let map: ReadonlyMap<number, Alert> = new Map();
        for (const list of results) for (const a of list) map = mergeAlert(map, a);
        // Events that arrived during the fetch may be newer than the snapshot.
        for (const a of pendingRef.current) if (optionsRef.current.accept(a)) map = mergeAlert(map, a);
        setAlerts((prev) => {
          if (!prev) return map;
          // Keep resolved alerts we saw (final, for the history); an active one missing from the
          // snapshot was resolved while we were away, so it goes.
          let merged: ReadonlyMap<number, Alert> = map;
          for (const a of prev.values())
            if (!map.has(a.id) && a.state === 'resolved') merged = mergeAlert(merged, a);
          return merged;
        });
        setState('synced');
        setErrorMessage(null);
      } catch (err) {
        if (cancelled) return;
        setState('failed');
        setErrorMessage(describeError(err));
        retry = setTimeout(() => void run(), 5000);
      }
    };
    const start = setTimeout(() => void run(), delay);
    return () => {
      cancelled = true;
      abort.abort();
      clearTimeout(start);
      clearTimeout(retry);
    };
  }, [socket, connectCount, queriesKey, wardsKey, delay]);

  const apply = useCallback((alert: Alert) => setAlerts((map) => (map ? mergeAlert(map, alert) : map)), []);
  return { alerts, state, errorMessage, apply };
}
