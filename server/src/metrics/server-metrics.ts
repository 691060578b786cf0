import { Role, type AlertEvent, type AlertEventType, type TimeSeriesHealth } from '@wardline/protocol';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { counterFrom, processRegistry } from './registry.js';

/** Seconds; dense below 1 s, the goal for a fall to reach the ward's screens. */
export const FALL_TO_PUSH_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10];
const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What the alert engine reports as alerts change state (after the change commits). */
export interface AlertCounts {
  changed(type: AlertEventType, alert: { condition: string; priority: string }): void;
}

/** Route label of requests no route matched (404s, the dashboard's client-side routes). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The server's own Prometheus metrics besides ingest and web refusals: HTTP latency, open
 * sockets, the alert lifecycle, how long a fall takes to reach the ward's screens, and the
 * time-series spool. One registry per server, so tests can run several in one process.
 */
export function createServerMetrics() {
  // Now rather than at the first scrape: the event-loop monitor needs a while to have samples.
  processRegistry();
  const registry = new Registry();
  const registers = [registry];

  const http = new Histogram({
    name: 'wardline_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status class, from arrival to the last byte sent.',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: HTTP_BUCKETS,
    registers,
  });

  let sockets: (() => Iterable<string>) | null = null;
  new Gauge({
    name: 'wardline_socketio_connected_sockets',
    help: 'socket.io connections open now, by the role of the signed-in user.',
    labelNames: ['role'] as const,
    registers,
    collect() {
      const counts = new Map<string, number>(Object.values(Role).map((role) => [role, 0]));
      for (const role of sockets?.() ?? []) counts.set(role, (counts.get(role) ?? 0) + 1);
      for (const [role, n] of counts) this.set({ role }, n);
    },
  });

  const alertCounter = (name: string, what: string) =>
    new Counter({
      name: `wardline_alerts_${name}_total`,
      help: `Alerts ${what}, by condition and priority.`,
      labelNames: ['condition', 'priority'] as const,
      registers,
    });
  const alertTransitions: Partial<Record<AlertEventType, Counter<'condition' | 'priority'>>> = {
    opened: alertCounter('raised', 'raised (opened)'),
    acknowledged: alertCounter('acknowledged', 'acknowledged by staff'),
    resolved: alertCounter('resolved', 'resolved, by staff or because the condition cleared'),
    escalated: alertCounter('escalated', 'escalated to the next level, unacknowledged'),
  };

  const fallToPush = new Histogram({
    name: 'wardline_fall_to_push_seconds',
    help: "Seconds from a fall's receipt at the server to its alert being pushed to the ward's sockets.",
    buckets: FALL_TO_PUSH_BUCKETS,
    registers,
  });

  let timeSeries: (() => TimeSeriesHealth) | null = null;
  const spoolGauge = (name: string, help: string, value: (h: TimeSeriesHealth) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['adapter'] as const,
      registers,
      collect() {
        this.reset();
        const health = timeSeries?.();
        if (health) this.set({ adapter: health.adapter }, value(health));
      },
    });
  spoolGauge(
    'wardline_timeseries_spooled',
    'Readings waiting in the durable spool for InfluxDB.',
    (h) => h.spooled,
  );
  spoolGauge(
    'wardline_timeseries_spool_limit',
    'Spool size at which ingest stops acknowledging MQTT.',
    (h) => h.spoolLimit,
  );
  spoolGauge('wardline_timeseries_spool_full', '1 while the spool is full and ingest is held back.', (h) =>
    h.state === 'full' ? 1 : 0,
  );
  const spoolCounter = (name: string, help: string, value: (h: TimeSeriesHealth) => number) =>
    counterFrom(registry, { name, help, labelNames: ['adapter'] as const }, () => {
      const health = timeSeries?.();
      return health ? [[{ adapter: health.adapter }, value(health)] as const] : [];
    });
  spoolCounter('wardline_timeseries_written_total', 'Points confirmed by InfluxDB.', (h) => h.written);
  spoolCounter(
    'wardline_timeseries_write_failures_total',
    'Failed InfluxDB write attempts (retried).',
    (h) => h.failures,
  );
  spoolCounter(
    'wardline_timeseries_rejected_total',
    'Points InfluxDB refused for their content (dead letters).',
    (h) => h.rejected,
  );

  const alerts: AlertCounts = {
    changed(type, alert) {
      alertTransitions[type]?.inc({ condition: alert.condition, priority: alert.priority });
    },
  };

  return {
    registry,
    alerts,

    /** `route` is the route's pattern (never the raw URL, which would carry ids). */
    observeRequest(method: string, route: string | undefined, statusCode: number, seconds: number): void {
      http.observe(
        { method, route: route ?? UNMATCHED_ROUTE, status_class: `${Math.floor(statusCode / 100)}xx` },
        seconds,
      );
    },

    /** The roles of the sockets open now, read at each scrape. Returns a function that stops it. */
    countSockets(roles: () => Iterable<string>): () => void {
      sockets = roles;
      return () => {
        if (sockets === roles) sockets = null;
      };
    },

    /**
     * An alert event was pushed to staff. For a fall that opened or recurred an alert, updatedAt
     * is the server's clock when the fall's message was handled (the alert commits with it).
     */
    alertPushed(event: AlertEvent, at = Date.now()): void {
      const { alert, type } = event;
      if (alert.limited || alert.condition !== 'fall' || (type !== 'opened' && type !== 'recurred')) return;
      fallToPush.observe(Math.max(0, at - Date.parse(alert.updatedAt)) / 1000);
    },

    /** Where the spool gauges read from; the store can be replaced after the context is built. */
    readTimeSeries(health: () => TimeSeriesHealth): void {
      timeSeries = health;
    },
  };
}
export type ServerMetrics = ReturnType<typeof createServerMetrics>;
