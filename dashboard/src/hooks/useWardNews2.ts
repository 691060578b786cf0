import type { News2Event, News2Summary } from '@wardline/protocol';
import { useEffect, useRef, useState } from 'react';
import { getWardNews2 } from '../api/client.js';
import type { SocketState } from './useSocket.js';

/** Changes arriving together (a ward round's entries) are applied together at most this often. */
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
 * (`GET /api/wards/:wardId/news2`) on load, on reconnection and when residents change; after that
 * the server pushes each change of a resident's score (`news2` event to the ward room), so nothing
 * is polled per resident. Changes are applied in batches: one ward re-render, not one per resident.
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
  const aliveRef = useRef(true);
  const pendingRef = useRef(new Map<string, News2Summary>());
  const flushTimerRef = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  /** Keeps the newer of two answers for a resident: a pushed change may overtake the ward's answer. */
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
    return () => {
      aliveRef.current = false;
      clearTimeout(flushTimerRef.current);
      flushTimerRef.current = undefined;
    };
  }, []);

  const known = patientIds !== null;
  const idsKey = patientIds?.join('\n') ?? '';
  // The whole ward in one request on load, on reconnection and when residents change.
  useEffect(() => {
    if (!known) return;
    const controller = new AbortController();
    getWardNews2(wardId, controller.signal).then(
      ({ scores: ward }) => {
        if (!aliveRef.current) return;
        for (const summary of Object.values(ward)) put(summary);
        if (settledRef.current) flush();
        else endFirstRound();
      },
      () => {
        // No score shown rather than a wrong one; reconnection asks again.
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
    const onNews2 = (e: News2Event) => {
      if (e.wardId !== wardId) return;
      put(e.summary);
      if (!settledRef.current) return; // applied with the first round
      flushTimerRef.current ??= setTimeout(flush, FLUSH_MS);
    };
    socket.on('news2', onNews2);
    return () => {
      socket.off('news2', onNews2);
    };
  }, [socket, wardId]);

  return { scores, settled };
}
