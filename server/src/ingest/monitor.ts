import type { IngestSessionHealth } from '@wardline/protocol';
import { Gauge, type Registry } from 'prom-client';
import { counterFrom } from '../metrics/registry.js';

/**
 * The ingest watchdog: what each MQTT session has received and stored, when it last made
 * progress, and what stands in its way (a broker refusal, a lost connection, failing storage).
 * /api/health turns it into reasons in words and /metrics into gauges and counters, so that a
 * stalled or refused session is loud instead of looking healthy while readings wait.
 */

/** With messages waiting and none stored for this long, ingest counts as stalled. */
export const STALL_AFTER_MS = 10_000;

type SessionState = IngestSessionHealth['state'];

interface SessionRecord {
  name: string;
  state: SessionState;
  stateSince: number;
  received: number;
  completed: number;
  lastProgressAt: number;
  refusal: { code: number; reason: string; since: number; attempts: number; retryInMs: number } | null;
  refusedSubscriptions: string[];
  storage: { code: string; since: number } | null;
  refusals: number;
  contentFailures: number;
  storageFailures: number;
}

/** What one session reports; the subscriber calls these as things happen. */
export interface SessionMonitor {
  /** The broker handed over a message. */
  received(): void;
  /** Messages stored (or dead-lettered): progress. */
  completed(count: number): void;
  connected(): void;
  /** The connection closed (or could not be opened) without the broker refusing the session. */
  disconnected(): void;
  /** The broker answered CONNECT with a refusal; the client retries in `retryInMs`. */
  refused(code: number, reason: string, retryInMs: number): void;
  subscriptionsRefused(topics: string[]): void;
  /** Storing failed for storage reasons (disk, locks, spool full): messages are held back. */
  storageFailed(code: string): void;
  /** Handling a message failed for its content (it is retried, then dead-lettered). */
  contentFailed(): void;
  closed(): void;
}

/** For a source nobody watches (tests, tools). */
export const noSessionMonitor: SessionMonitor = {
  received() {},
  completed() {},
  connected() {},
  disconnected() {},
  refused() {},
  subscriptionsRefused() {},
  storageFailed() {},
  contentFailed() {},
  closed() {},
};

export interface IngestMonitorOptions {
  now?: () => number;
  stallAfterMs?: number;
}

const seconds = (ms: number) => Math.max(0, Math.round(ms / 1000));

export function createIngestMonitor(options: IngestMonitorOptions = {}, registry?: Registry) {
  const now = options.now ?? Date.now;
  const stallAfterMs = options.stallAfterMs ?? STALL_AFTER_MS;
  const sessions = new Map<string, SessionRecord>();

  const waiting = (s: SessionRecord) => s.received - s.completed;
  const lagMs = (s: SessionRecord) => (waiting(s) > 0 ? now() - s.lastProgressAt : 0);
  const stalled = (s: SessionRecord) => waiting(s) > 0 && lagMs(s) >= stallAfterMs;

  function setState(s: SessionRecord, state: SessionState) {
    if (s.state !== state) s.stateSince = now();
    s.state = state;
  }

  function session(name: string): SessionMonitor {
    const s: SessionRecord = {
      name,
      state: 'connecting',
      stateSince: now(),
      received: 0,
      completed: 0,
      lastProgressAt: now(),
      refusal: null,
      refusedSubscriptions: [],
      storage: null,
      refusals: 0,
      contentFailures: 0,
      storageFailures: 0,
    };
    sessions.set(name, s);
    return {
      received() {
        // Idle time before this message is not lag: the clock starts when something waits.
        if (waiting(s) === 0) s.lastProgressAt = now();
        s.received++;
      },
      completed(count) {
        s.completed = Math.min(s.received, s.completed + count);
        s.lastProgressAt = now();
        s.storage = null; // a commit went through: storage works
      },
      connected() {
        setState(s, 'connected');
        s.refusal = null;
        s.refusedSubscriptions = [];
      },
      disconnected() {
        // A refusal is the more useful explanation and stays until the session is accepted;
        // before the first connection, "not connected yet" says more than "disconnected".
        if (s.state === 'connected') setState(s, 'disconnected');
      },
      refused(code, reason, retryInMs) {
        s.refusals++;
        const previous = s.refusal?.code === code ? s.refusal : null;
        s.refusal = {
          code,
          reason,
          since: previous?.since ?? now(),
          attempts: (previous?.attempts ?? 0) + 1,
          retryInMs,
        };
        setState(s, 'refused');
      },
      subscriptionsRefused(topics) {
        s.refusedSubscriptions = topics;
      },
      storageFailed(code) {
        s.storageFailures++;
        if (s.storage?.code !== code) s.storage = { code, since: now() };
      },
      contentFailed() {
        s.contentFailures++;
      },
      closed() {
        setState(s, 'closed');
      },
    };
  }

  function reasonsOf(s: SessionRecord): string[] {
    const reasons: string[] = [];
    const t = now();
    if (s.state === 'refused' && s.refusal) {
      const r = s.refusal;
      reasons.push(
        `MQTT session ${s.name} refused by broker: ${r.reason.toLowerCase()} (CONNACK code ${r.code}), ` +
          `${r.attempts} time${r.attempts === 1 ? '' : 's'} in ${seconds(t - r.since)} s; ` +
          `retrying every ${seconds(r.retryInMs)} s`,
      );
    } else if (s.state === 'disconnected') {
      reasons.push(`MQTT session ${s.name} disconnected from the broker for ${seconds(t - s.stateSince)} s`);
    } else if (s.state === 'connecting') {
      reasons.push(`MQTT session ${s.name} not connected yet (${seconds(t - s.stateSince)} s)`);
    }
    if (s.refusedSubscriptions.length > 0) {
      reasons.push(`broker refused subscriptions of ${s.name}: ${s.refusedSubscriptions.join(', ')}`);
    }
    if (s.storage) {
      reasons.push(
        `storage failing (${s.storage.code}) for ${seconds(t - s.storage.since)} s: ` +
          `${s.name} holds ${waiting(s)} messages unacknowledged`,
      );
    }
    if (stalled(s)) {
      reasons.push(
        `ingest on ${s.name} has not progressed for ${seconds(lagMs(s))} s while ${waiting(s)} messages wait`,
      );
    }
    return reasons;
  }

  const live = () => [...sessions.values()].filter((s) => s.state !== 'closed');
  if (registry)
    registerSessionMetrics(registry, () => sessions.values(), { waiting, lagMs, stalled, stallAfterMs });

  return {
    session,

    /** Why ingest is not healthy, in words; empty when it is. */
    reasons(): string[] {
      return live().flatMap(reasonsOf);
    },

    sessions(): IngestSessionHealth[] {
      return live().map((s) => ({
        session: s.name,
        state: s.state,
        waiting: waiting(s),
        lagSeconds: Math.round(lagMs(s) / 100) / 10,
        stalled: stalled(s),
        ...(s.refusal
          ? {
              refusal: {
                code: s.refusal.code,
                reason: s.refusal.reason,
                since: new Date(s.refusal.since).toISOString(),
                attempts: s.refusal.attempts,
              },
            }
          : {}),
        ...(s.storage
          ? { storageError: { code: s.storage.code, since: new Date(s.storage.since).toISOString() } }
          : {}),
      }));
    },

    totals(): { contentFailures: number; storageFailures: number; refusals: number } {
      const all = [...sessions.values()];
      const sum = (pick: (s: SessionRecord) => number) => all.reduce((n, s) => n + pick(s), 0);
      return {
        contentFailures: sum((s) => s.contentFailures),
        storageFailures: sum((s) => s.storageFailures),
        refusals: sum((s) => s.refusals),
      };
    },
  };
}
export type IngestMonitor = ReturnType<typeof createIngestMonitor>;

/** Per session, read at each scrape: every session this server opened, closed ones included. */
function registerSessionMetrics(
  registry: Registry,
  all: () => Iterable<SessionRecord>,
  derived: {
    waiting: (s: SessionRecord) => number;
    lagMs: (s: SessionRecord) => number;
    stalled: (s: SessionRecord) => boolean;
    stallAfterMs: number;
  },
): void {
  const gauge = (name: string, help: string, value: (s: SessionRecord) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['session'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const s of all()) this.set({ session: s.name }, value(s));
      },
    });
  const counter = (name: string, help: string, value: (s: SessionRecord) => number) =>
    counterFrom(registry, { name, help, labelNames: ['session'] as const }, () =>
      [...all()].map((s) => [{ session: s.name }, value(s)] as const),
    );
  gauge(
    'wardline_ingest_waiting',
    'Messages the broker handed over that are not stored yet.',
    derived.waiting,
  );
  gauge(
    'wardline_ingest_lag_seconds',
    'Seconds since ingest last stored a message while messages waited (0 when idle).',
    (s) => derived.lagMs(s) / 1000,
  );
  gauge(
    'wardline_ingest_stalled',
    `1 while messages wait and none was stored for ${derived.stallAfterMs / 1000} s.`,
    (s) => (derived.stalled(s) ? 1 : 0),
  );
  gauge(
    'wardline_ingest_storage_failing',
    '1 while storage fails and messages are held unacknowledged.',
    (s) => (s.storage ? 1 : 0),
  );
  counter(
    'wardline_ingest_content_failures_total',
    'Attempts to handle a message that failed for its content (retried, then dead-lettered).',
    (s) => s.contentFailures,
  );
  counter(
    'wardline_ingest_storage_failures_total',
    'Attempts to store a message that failed for storage reasons (held back and retried).',
    (s) => s.storageFailures,
  );
  gauge('wardline_mqtt_connected', '1 while the session is connected to the broker.', (s) =>
    s.state === 'connected' ? 1 : 0,
  );
  gauge(
    'wardline_mqtt_refused',
    '1 while the broker refuses the session (CONNACK refusal); the client keeps retrying.',
    (s) => (s.state === 'refused' ? 1 : 0),
  );
  counter('wardline_mqtt_refusals_total', 'CONNECT attempts the broker refused.', (s) => s.refusals);
}
