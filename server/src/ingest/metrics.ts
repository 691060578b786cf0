import { RejectionCode } from '@wardline/protocol';
import { createIngestMonitor, type IngestMonitorOptions } from './monitor.js';

/** Ingest counters and the sessions' watchdog, exposed on /api/health and (Prometheus) /metrics. */
export function createIngestMetrics(options: IngestMonitorOptions = {}) {
  const monitor = createIngestMonitor(options);
  const rejectedByCode = new Map<string, number>(Object.values(RejectionCode).map((c) => [c, 0]));
  const counters = {
    messages: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    deviceStatuses: 0,
    gatewayStatuses: 0,
  };
  return {
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
    prometheus(): string {
      const lines = [
        '# HELP wardline_ingest_messages_total MQTT messages received by the server.',
        '# TYPE wardline_ingest_messages_total counter',
        `wardline_ingest_messages_total ${counters.messages}`,
        '# HELP wardline_observations_accepted_total Observations stored.',
        '# TYPE wardline_observations_accepted_total counter',
        `wardline_observations_accepted_total ${counters.accepted}`,
        '# HELP wardline_observations_duplicate_total Observations already stored (replays).',
        '# TYPE wardline_observations_duplicate_total counter',
        `wardline_observations_duplicate_total ${counters.duplicates}`,
        '# HELP wardline_rejections_total Messages or observations rejected to the dead-letter list.',
        '# TYPE wardline_rejections_total counter',
        ...[...rejectedByCode].map(([code, n]) => `wardline_rejections_total{code="${code}"} ${n}`),
      ];
      return `${lines.join('\n')}\n${monitor.prometheus()}`;
    },
  };
}
export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
