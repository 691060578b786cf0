import type { News2Summary, ObservationEvent } from '@wardline/protocol';
import { useEffect, useRef, useState } from 'react';
import { getNews2 } from '../api/client.js';
import type { SocketState } from './useSocket.js';

/** At most this many NEWS2 requests in flight: 200 beds must not flood the server. */
const CONCURRENCY = 4;
/** A resident's score is fetched again after a new reading, but not more often than this. */
const MIN_REFRESH_MS = 30_000;
/** Readings arriving together (a cuff's BP and pulse) cause one refresh. */
const SETTLE_MS = 1500;
/** Answers are applied together at most this often: one ward re-render, not one per resident. */
const FLUSH_MS = 1000;

/**
 * The NEWS2 summary of every resident on a ward. The server has no ward-wide NEWS2 endpoint and
 * no NEWS2 event, so this asks `GET /api/patients/:id/news2` for each resident (a few at a time)
 * and again, throttled, after that resident's new readings.
 */
export function useWardNews2(
  { socket, connectCount }: SocketState,
  wardId: string,
  patientIds: readonly string[],
): ReadonlyMap<string, News2Summary> {
  const [scores, setScores] = useState<ReadonlyMap<string, News2Summary>>(() => new Map());
  const queueRef = useRef<string[]>([]);
  const queuedRef = useRef(new Set<string>());
  const inFlightRef = useRef(0);
  const lastFetchRef = useRef(new Map<string, number>());
  const timersRef = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  const aliveRef = useRef(true);
  const pumpRef = useRef<() => void>(() => undefined);
  const pendingRef = useRef(new Map<string, News2Summary>());
  const flushTimerRef = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    aliveRef.current = true;
    const timers = timersRef.current;
    pumpRef.current = () => {
      while (inFlightRef.current < CONCURRENCY && queueRef.current.length > 0) {
        const id = queueRef.current.shift()!;
        queuedRef.current.delete(id);
        inFlightRef.current++;
        lastFetchRef.current.set(id, Date.now());
        getNews2(id)
          .then(
            (summary) => {
              if (!aliveRef.current) return;
              pendingRef.current.set(id, summary);
              flushTimerRef.current ??= setTimeout(() => {
                flushTimerRef.current = undefined;
                const batch = pendingRef.current;
                pendingRef.current = new Map();
                if (aliveRef.current) setScores((m) => new Map([...m, ...batch]));
              }, FLUSH_MS);
            },
            () => undefined, // no score shown rather than a wrong one; the next reading retries
          )
          .finally(() => {
            inFlightRef.current--;
            if (aliveRef.current) pumpRef.current();
          });
      }
    };
    return () => {
      aliveRef.current = false;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      clearTimeout(flushTimerRef.current);
      flushTimerRef.current = undefined;
    };
  }, []);

  const enqueue = (id: string) => {
    if (queuedRef.current.has(id)) return;
    queuedRef.current.add(id);
    queueRef.current.push(id);
    pumpRef.current();
  };

  const idsKey = patientIds.join('\n');
  // Everyone on load, on reconnection and when residents change.
  useEffect(() => {
    for (const id of idsKey ? idsKey.split('\n') : []) enqueue(id);
  }, [idsKey, connectCount]);

  useEffect(() => {
    const onObservation = (e: ObservationEvent) => {
      if (e.wardId !== wardId) return;
      const id = e.patientId;
      if (timersRef.current.has(id)) return;
      const last = lastFetchRef.current.get(id) ?? 0;
      const wait = Math.max(SETTLE_MS, last + MIN_REFRESH_MS - Date.now());
      timersRef.current.set(
        id,
        setTimeout(() => {
          timersRef.current.delete(id);
          enqueue(id);
        }, wait),
      );
    };
    socket.on('observation', onObservation);
    return () => {
      socket.off('observation', onObservation);
    };
  }, [socket, wardId]);

  return scores;
}
