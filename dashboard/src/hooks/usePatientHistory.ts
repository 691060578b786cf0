import type {
  LatestObservation,
  ObservationBatchEvent,
  ObservationEvent,
  StoredObservation,
} from '@wardline/protocol';
import { useEffect, useRef, useState } from 'react';
import { describeError, listObservations } from '../api/client.js';
import { DAY, parseTime } from '../lib/time.js';
import type { LiveState } from './useLiveWard.js';
import { firstFetchDelay, type SocketState } from './useSocket.js';

/** How far back the history table and the family view look. */
export const HISTORY_WINDOW_MS = 7 * DAY;
/** The API's largest page. */
const HISTORY_LIMIT = 10_000;
/** Pages fetched at most per load (a wearable streaming every few seconds fills one in hours). */
const MAX_PAGES = 5;
const RETRY_MS = 5000;

export interface HistoryEntry {
  observation: LatestObservation['observation'];
  receivedAt: string;
  measuredAt: number;
}

export interface PatientHistory {
  /** Newest first; null until the first fetch has arrived. */
  entries: HistoryEntry[] | null;
  liveState: LiveState;
  lastSyncedAt: number | null;
  errorMessage: string | null;
  /** More readings than MAX_PAGES pages: the newest ones in the window may be missing. */
  truncated: boolean;
}

function toEntry(observation: HistoryEntry['observation'], receivedAt: string): HistoryEntry | null {
  const measuredAt = parseTime(observation.measuredAt);
  return measuredAt === null ? null : { observation, receivedAt, measuredAt };
}

function byNewest(a: HistoryEntry, b: HistoryEntry): number {
  return b.measuredAt - a.measuredAt || b.observation.seq - a.observation.seq;
}

/**
 * The API answers oldest first with a limit, so the newest readings of a busy week come last:
 * page forward from the last time received until a page is not full.
 */
async function fetchWindow(
  patientId: string,
  from: string,
  signal: AbortSignal,
): Promise<{ stored: StoredObservation[]; complete: boolean }> {
  const stored: StoredObservation[] = [];
  let cursor = from;
  for (let page = 0; page < MAX_PAGES; page++) {
    const batch = await listObservations(patientId, { from: cursor, limit: HISTORY_LIMIT }, signal);
    stored.push(...batch);
    const last = batch[batch.length - 1];
    if (batch.length < HISTORY_LIMIT || !last) return { stored, complete: true };
    // Inclusive bound: readings at exactly this time come again and are de-duplicated by id.
    cursor = last.observation.measuredAt;
  }
  return { stored, complete: false };
}

/** The newest entry of each kind, in the shape the bed card readers take. */
export function latestByKind(entries: readonly HistoryEntry[]): Record<string, LatestObservation> {
  const latest: Record<string, LatestObservation> = {};
  for (const e of entries) {
    const current = latest[e.observation.kind];
    if (!current || (parseTime(current.observation.measuredAt) ?? 0) < e.measuredAt)
      latest[e.observation.kind] = { observation: e.observation, receivedAt: e.receivedAt };
  }
  return latest;
}

/**
 * A resident's recent observations, kept live: fetched on mount and on every (re)connection,
 * then extended by this resident's `observation` events (family) or `observations` batches (staff).
 * The socket must already receive them (a family member's socket is in their relative's room;
 * staff join the ward room elsewhere).
 */
export function usePatientHistory(socketState: SocketState, patientId: string): PatientHistory {
  const { socket, status, connectCount } = socketState;
  const delay = firstFetchDelay(socketState);
  const [entries, setEntries] = useState<HistoryEntry[] | null>(null);
  const [fetching, setFetching] = useState(true);
  const [errorMessage, setErrorMessage] = useState<string | null>(null);
  const [lastSyncedAt, setLastSyncedAt] = useState<number | null>(null);
  const [truncated, setTruncated] = useState(false);
  const [retry, setRetry] = useState(0);
  const pendingRef = useRef<HistoryEntry[] | null>(null);

  useEffect(() => {
    const add = (events: readonly ObservationEvent[]) => {
      const fresh: HistoryEntry[] = [];
      for (const e of events) {
        if (e.patientId !== patientId) continue;
        const entry = toEntry(e.observation, e.receivedAt);
        if (entry) fresh.push(entry);
      }
      if (fresh.length === 0) return;
      pendingRef.current?.push(...fresh);
      setEntries((current) => {
        if (!current) return current;
        const known = new Set(current.map((c) => c.observation.id));
        const added: HistoryEntry[] = [];
        for (const entry of fresh) {
          if (known.has(entry.observation.id)) continue;
          known.add(entry.observation.id);
          added.push(entry);
        }
        return added.length === 0 ? current : [...added, ...current].sort(byNewest);
      });
    };
    // A family member's socket gets their relative's readings one by one; staff get the ward's
    // readings a committed group at a time, this resident's among them.
    const onObservation = (e: ObservationEvent) => add([e]);
    const onObservations = (batch: ObservationBatchEvent) => add(batch.observations);
    socket.on('observation', onObservation);
    socket.on('observations', onObservations);
    return () => {
      socket.off('observation', onObservation);
      socket.off('observations', onObservations);
    };
  }, [socket, patientId]);

  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = () => {
      setFetching(true);
      pendingRef.current = [];
      const from = new Date(Date.now() - HISTORY_WINDOW_MS).toISOString();
      fetchWindow(patientId, from, abort.signal).then(
        ({ stored, complete }) => {
          if (abort.signal.aborted) return;
          const seen = new Set<string>();
          const next: HistoryEntry[] = [];
          for (const s of [
            ...stored.map((x) => toEntry(x.observation, x.receivedAt)),
            ...(pendingRef.current ?? []),
          ]) {
            if (!s || seen.has(s.observation.id)) continue;
            seen.add(s.observation.id);
            next.push(s);
          }
          pendingRef.current = null;
          setEntries(next.sort(byNewest));
          setTruncated(!complete);
          setErrorMessage(null);
          setLastSyncedAt(Date.now());
          setFetching(false);
        },
        (err: unknown) => {
          if (abort.signal.aborted) return;
          pendingRef.current = null;
          setErrorMessage(describeError(err));
          setFetching(false);
          timer = setTimeout(() => setRetry((n) => n + 1), RETRY_MS);
        },
      );
    };
    const start = setTimeout(run, delay);
    return () => {
      abort.abort();
      clearTimeout(start);
      clearTimeout(timer);
    };
  }, [patientId, connectCount, retry, delay]);

  let liveState: LiveState;
  if (status === 'disconnected') liveState = 'lost';
  else if (errorMessage) liveState = 'error';
  else if (status === 'connecting') liveState = 'connecting';
  else if (fetching) liveState = 'syncing';
  else liveState = 'live';

  return { entries, liveState, lastSyncedAt, errorMessage, truncated };
}
