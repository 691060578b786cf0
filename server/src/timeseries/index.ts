import type { FastifyBaseLogger } from 'fastify';
import type { InfluxConfig } from '../config.js';
import type { ServerContext } from '../context.js';
import { createInfluxSink } from './influx-client.js';
import { createInfluxStore } from './influx-store.js';
import { scheduleRetention } from './retention.js';
import { createSpool, type Spool } from './spool.js';

export interface TimeSeriesRuntime {
  /** For ingest: null with the embedded store alone. */
  spool: Pick<Spool, 'reserve' | 'enqueue'> | null;
  close(): Promise<void>;
}

/** Puts the configured adapter on the context and starts the spool writer and retention. */
export function startTimeSeries(
  context: ServerContext,
  config: { influx?: InfluxConfig | null; retentionDays?: number | null },
  log: FastifyBaseLogger,
): TimeSeriesRuntime {
  const stopRetention = config.retentionDays
    ? scheduleRetention(context.db, config.retentionDays, log)
    : () => undefined;
  const influx = config.influx;
  if (!influx) {
    return {
      spool: null,
      async close() {
        stopRetention();
      },
    };
  }
  const spool = createSpool(context.db, influx.spoolLimit);
  const store = createInfluxStore({
    settings: influx,
    spool,
    sink: createInfluxSink(influx, influx.batchSize),
    log,
    deadLetters: context.deadLetters,
    batchSize: influx.batchSize,
  });
  context.timeSeries = store;
  log.info(
    { url: influx.url, bucket: influx.bucket, database: influx.database, spooled: spool.size() },
    'time series go to InfluxDB through the durable spool',
  );
  return {
    spool: {
      reserve: (count) => spool.reserve(count),
      enqueue(observation, patientId, at) {
        spool.enqueue(observation, patientId, at);
        // Runs after the ingest transaction has committed (ingest is synchronous).
        queueMicrotask(() => store.notify());
      },
    },
    async close() {
      stopRetention();
      await store.close();
    },
  };
}
