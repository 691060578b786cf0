import type { FastifyBaseLogger } from 'fastify';
import type { InfluxConfig } from '../config.js';
import type { ServerContext } from '../context.js';
import { createInfluxSink } from './influx-client.js';
import { createInfluxStore } from './influx-store.js';
import { scheduleRetention } from './retention.js';
import type { IngestSpool } from '../ingest/ingest.js';
import { createSpool } from './spool.js';

export interface TimeSeriesRuntime {
  /** For ingest: null with the embedded store alone. */
  spool: IngestSpool | null;
  close(): Promise<void>;
}

/** Puts the configured adapter on the context and starts the spool writer and retention. */
export function startTimeSeries(
  context: ServerContext,
  config: { influx?: InfluxConfig | null; retentionDays?: number | null },
  log: FastifyBaseLogger,
): TimeSeriesRuntime {
  const stopRetention = config.retentionDays
    ? scheduleRetention(context.sql, config.retentionDays, log, undefined, context.replica.leads)
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
  const spool = createSpool(context.sql, influx.spoolLimit);
  const store = createInfluxStore({
    settings: influx,
    spool,
    sink: createInfluxSink(influx, influx.batchSize),
    log,
    deadLetters: context.deadLetters,
    batchSize: influx.batchSize,
    leads: context.replica.leads,
  });
  context.timeSeries = store;
  spool.size().then(
    (spooled) =>
      log.info(
        { url: influx.url, bucket: influx.bucket, database: influx.database, spooled },
        'time series go to InfluxDB through the durable spool',
      ),
    (err: Error) => log.error({ err: err.message }, 'reading the time-series spool failed'),
  );
  return {
    spool: {
      reserve: (count) => spool.reserve(count),
      enqueue: (observation, patientId, at) => spool.enqueue(observation, patientId, at),
      committed: () => store.notify(),
    },
    async close() {
      stopRetention();
      await store.close();
    },
  };
}
