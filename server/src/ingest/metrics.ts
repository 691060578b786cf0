import { RejectionCode } from '@wardline/protocol';
import { Registry } from 'prom-client';
import { counterFrom } from '../metrics/registry.js';
import { createIngestMonitor, type IngestMonitorOptions } from './monitor.js';

/**
 * Ingest counters and the sessions' watchdog, exposed on /api/health and (Prometheus) /metrics.
 * The counts live here, moved only once their transaction commits (see ingest.ts); the registry
 * reads them at each scrape.
 */
export function createIngestMetrics(options: IngestMonitorOptions = {}) {
  const registry = new Registry();
  const monitor = createIngestMonitor(options, registry);
  const rejectedByCode = new Map<string, number>(Object.values(RejectionCode).map((c) => [c, 0]));
  const counters = {
    messages: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    deviceStatuses: 0,
    gatewayStatuses: 0,
  };
  const total = (name: string, help: string, value: () => number) =>
    counterFrom(registry, { name, help, labelNames: [] }, () => [[{}, value()]]);
  total('wardline_ingest_messages_total', 'MQTT messages received by the server.', () => counters.messages);
  total('wardline_observations_accepted_total', 'Observations stored.', () => counters.accepted);
  total(
    'wardline_observations_duplicate_total',
    'Observations already stored (replays).',
    () => counters.duplicates,
  );
  counterFrom(
    registry,
    {
      name: 'wardline_rejections_total',
      help: 'Messages or observations rejected to the dead-letter list.',
      labelNames: ['code'],
    },
    () => [...rejectedByCode].map(([code, n]) => [{ code }, n] as const),
  );

  return {
    registry,
    counters,
    /** Per MQTT session: progress, stalls, refusals, storage and content failures. */
    monitor,
    reject(code: string): void {
      counters.rejected++;
      rejectedByCode.set(code, (rejectedByCode.get(code) ?? 0) + 1);
    },
    rejectedByCode(): ReadonlyMap<string, number> {
      return rejectedByCode;
    },
    /** This registry's text alone (tests); /metrics serves every registry of the server. */
    prometheus(): Promise<string> {
      return registry.metrics();
    },
  };
}
export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
