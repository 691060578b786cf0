import type { News2Summary, ObservationEvent } from '@wardline/protocol';
import { useEffect, useRef, useState } from 'react';
import { getNews2, getWardNews2 } from '../api/client.js';
import type { SocketState } from './useSocket.js';

/** At most this many per-resident NEWS2 requests in flight: 200 beds must not flood the server. */
const CONCURRENCY = 4;
/** A resident's score is fetched again after a new reading, but not more often than this. */
const MIN_REFRESH_MS = 30_000;
/** Readings arriving together (a cuff's BP and pulse) cause one refresh. */
const SETTLE_MS = 1500;
/** Answers are applied together at most this often: one ward re-render, not one per resident. */
const FLUSH_MS = 1000;
/** The first round is shown as soon as it is answered, or without scores after this long. */
const FIRST_ROUND_MS = 2500;

export interface WardNews2 {
  scores: ReadonlyMap<string, News2Summary>;
  /**
   * The first round (the whole ward's scores) has been answered, or has taken too long to wait
   * for: the ward can be laid out with its beds in their places ("Needs attention" or not).
   */
  settled: boolean;
}

/**
 * The NEWS2 summary of every resident on a ward. The whole ward is asked for in one request
 * (`GET /api/wards/:wardId/news2`) on load, on reconnection and when residents change; the server
 * has no NEWS2 event, so a resident's score is asked for again (`GET /api/patients/:id/news2`, a
 * few at a time, throttled) after that resident's new readings. The first round is applied in one
 * go when answered, so beds take their places once.
 */
export function useWardNews2(
  { socket, connectCount }: SocketState,
  wardId: string,
  /** null until the ward's residents are known. */
  patientIds: readonly string[] | null,
): WardNews2 {
  const [scores, setScores] = useState<ReadonlyMap<string, News2Summary>>(() => new Map());
  const [settled, setSettled] = useState(false);
  const settledRef = useRef(false);
  const queueRef = useRef<string[]>([]);
  const queuedRef = useRef(new Set<string>());
  const inFlightRef = useRef(0);
  const lastFetchRef = useRef(new Map<string, number>());
  const timersRef = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  const aliveRef = useRef(true);
  const pumpRef = useRef<() => void>(() => undefined);
  const pendingRef = useRef(new Map<string, News2Summary>());
  const flushTimerRef = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  /** Keeps the newer of two answers for a resident: a ward answer may overtake a resident's. */
  const put = (summary: News2Summary) => {
    const held = pendingRef.current.get(summary.patientId);
    if (!held || Date.parse(held.at) <= Date.parse(summary.at))
      pendingRef.current.set(summary.patientId, summary);
  };
  const flush = () => {
    clearTimeout(flushTimerRef.current);
    flushTimerRef.current = undefined;
    const batch = pendingRef.current;
    pendingRef.current = new Map();
    if (!aliveRef.current || batch.size === 0) return;
    setScores((m) => {
      const next = new Map(m);
      for (const [id, summary] of batch) {
        const held = next.get(id);
        if (!held || Date.parse(held.at) <= Date.parse(summary.at)) next.set(id, summary);
      }
      return next;
    });
  };
  const endFirstRound = () => {
    if (settledRef.current) return;
    settledRef.current = true;
    flush();
    setSettled(true);
  };

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
              put(summary);
              if (!settledRef.current) return; // applied with the first round
              flushTimerRef.current ??= setTimeout(flush, FLUSH_MS);
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

  const known = patientIds !== null;
  const idsKey = patientIds?.join('\n') ?? '';
  // The whole ward in one request on load, on reconnection and when residents change.
  useEffect(() => {
    if (!known) return;
    const controller = new AbortController();
    const asked = Date.now();
    for (const id of idsKey ? idsKey.split('\n') : []) lastFetchRef.current.set(id, asked);
    getWardNews2(wardId, controller.signal).then(
      ({ scores: ward }) => {
        if (!aliveRef.current) return;
        for (const summary of Object.values(ward)) put(summary);
        if (settledRef.current) flush();
        else endFirstRound();
      },
      () => {
        // No score shown rather than a wrong one; readings and reconnection ask again.
        if (aliveRef.current && !controller.signal.aborted) endFirstRound();
      },
    );
    return () => controller.abort();
  }, [known, wardId, idsKey, connectCount]);

  // A slow server does not hold the ward back for long: the beds are shown without scores.
  useEffect(() => {
    if (!known || settled) return;
    const timer = setTimeout(endFirstRound, FIRST_ROUND_MS);
    return () => clearTimeout(timer);
  }, [known, settled]);

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

  return { scores, settled };
}
