import type { HistoryPoint, HistoryWindowRow, TimeSeriesHealth, WindowStats } from '@wardline/protocol';
import type { FastifyBaseLogger } from 'fastify';
import type { DeadLetterRepository } from '../db/dead-letter-repository.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { influxQl, quoteIdent, quoteString, type InfluxSettings, type LineSink } from './influx-client.js';
import { seriesFields } from './series.js';
import type { Spool, SpooledLine } from './spool.js';
import { WINDOW_MS, compareRaw, roundMean, type HistoryRequest, type TimeSeriesStore } from './store.js';

export interface InfluxStoreOptions {
  settings: InfluxSettings;
  spool: Spool;
  sink: LineSink;
  log: FastifyBaseLogger;
  /** Where points InfluxDB refuses for their content go (kept, visible to admins). */
  deadLetters: Pick<DeadLetterRepository, 'add'>;
  batchSize: number;
  /** Backoff bounds after a failed write, in milliseconds. */
  minRetryMs?: number;
  maxRetryMs?: number;
  /** Whether this replica sends the spool now (db/replica.ts); default: always (one server). */
  leads?: (job: string, lengthMs: number) => Promise<boolean>;
}

/** Dead-letter code of a point InfluxDB refused for its content. */
export const INFLUX_REJECTED = 'INFLUX_REJECTED';

export interface InfluxStore extends TimeSeriesStore {
  /** Wakes the writer: new points were committed to the spool. */
  notify(): void;
  /** Resolves when the spool is empty (tests, shutdown). */
  drained(timeoutMs: number): Promise<boolean>;
}

/**
 * InfluxDB adapter: a background writer drains the durable spool in id order, a batch at a
 * time, deleting rows only after InfluxDB confirmed them; reads are InfluxQL on /query.
 * A batch that failed is sent again whole: points are idempotent (same series and timestamp),
 * so a write that reached InfluxDB before its answer was lost only overwrites itself.
 */
const SPOOL_LEASE_MS = 30_000;

export function createInfluxStore(options: InfluxStoreOptions): InfluxStore {
  const { settings, spool, sink, log, batchSize } = options;
  const minRetryMs = options.minRetryMs ?? 250;
  const maxRetryMs = options.maxRetryMs ?? 10_000;
  let stopped = false;
  let wake: (() => void) | null = null;
  let retrying = false;
  let written = 0;
  let failures = 0;
  let lastError: string | null = null;
  let lastWriteAt: string | null = null;
  let rejected = 0;

  /**
   * Writes a batch; a point InfluxDB refuses for its content (400, 422: a field type conflict,
   * a time outside the bucket's retention) would fail every retry and stall the spool, so the
   * batch is halved until the refused points are alone, and those go to the dead-letter list.
   * Points written twice on the way overwrite themselves.
   */
  async function writeBatch(rows: SpooledLine[]): Promise<void> {
    try {
      await sink.write(rows.map((row) => row.line));
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status !== 400 && status !== 422) throw err;
      const [only] = rows;
      if (rows.length === 1 && only) {
        rejected++;
        const detail = (err as Error).message;
        log.error({ status, detail, line: only.line }, 'InfluxDB refused a point; kept as a dead letter');
        await options.deadLetters.add({
          topic: 'influxdb/api/v2/write',
          code: INFLUX_REJECTED,
          detail: `HTTP ${status}: ${detail}`,
          payload: only.line,
          receivedAt: new Date().toISOString(),
        });
        return;
      }
      const half = Math.ceil(rows.length / 2);
      await writeBatch(rows.slice(0, half));
      await writeBatch(rows.slice(half));
    }
  }

  async function idle(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = null;
  }

  const leads = options.leads ?? (async () => true);

  async function run(): Promise<void> {
    let delay = minRetryMs;
    while (!stopped) {
      let batch;
      try {
        // One replica sends the spool (the lease is renewed every pass, at most every 10 s); the
        // others wait, and one of them takes over within 30 s of the sender dying.
        if (!(await leads('timeseries-spool', SPOOL_LEASE_MS))) {
          await idle(SPOOL_LEASE_MS / 6);
          continue;
        }
        batch = await spool.peek(batchSize);
      } catch (err) {
        log.error({ err: (err as Error).message }, 'reading the time-series spool failed');
        await sleep(1000);
        continue;
      }
      const last = batch.at(-1);
      if (!last) {
        await idle(1000);
        continue;
      }
      try {
        const rejectedBefore = rejected;
        await writeBatch(batch);
        await spool.release(last.id);
        written += batch.length - (rejected - rejectedBefore);
        lastWriteAt = new Date().toISOString();
        if (retrying) log.info({ spooled: spool.knownSize() }, 'InfluxDB writes resumed; draining the spool');
        retrying = false;
        delay = minRetryMs;
      } catch (err) {
        failures++;
        lastError = (err as Error).message;
        if (!retrying)
          log.error(
            { err: lastError, spooled: spool.knownSize() },
            'InfluxDB write failed; readings wait in the spool',
          );
        retrying = true;
        await idle(delay);
        delay = Math.min(maxRetryMs, delay * 2);
      }
    }
  }
  const loop = run();

  const measurement = (kind: string) => quoteIdent(kind);
  const where = (request: HistoryRequest) =>
    `WHERE "patient" = ${quoteString(request.patientId)} AND time >= ${request.from}ms AND time < ${request.to}ms`;

  return {
    adapter: 'influxdb',

    notify() {
      // During an outage the backoff decides when to try again, not the arrival of readings.
      if (!retrying) wake?.();
    },

    async drained(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while ((await spool.size()) > 0) {
        if (Date.now() > deadline) return false;
        await sleep(20);
      }
      return true;
    },

    async rawPoints(request: HistoryRequest): Promise<HistoryPoint[]> {
      const fields = seriesFields(request.kind);
      const columns = ['device', 'seq', ...fields.map((f) => f.name)].map(quoteIdent).join(', ');
      const rows = await influxQl(
        settings,
        `SELECT ${columns} FROM ${measurement(request.kind)} ${where(request)} ORDER BY time ASC LIMIT ${request.limit}`,
      );
      return rows
        .map((row) => {
          const values: Record<string, number> = {};
          for (const { name } of fields) {
            const value = row[name];
            if (typeof value === 'number') values[name] = value;
          }
          return {
            time: new Date(row.time as number).toISOString(),
            deviceId: String(row.device),
            seq: Number(row.seq),
            values,
          };
        })
        .sort(compareRaw);
    },

    async windows(request: HistoryRequest): Promise<HistoryWindowRow[]> {
      if (request.window === 'raw') throw new Error('windows() needs a window size');
      const fields = seriesFields(request.kind);
      // count(seq) counts readings, and keeps windows whose readings carry no numeric component.
      const columns = ['count("seq") AS readings'].concat(
        fields.flatMap(({ name }, i) => [
          `mean(${quoteIdent(name)}) AS mean${i}`,
          `min(${quoteIdent(name)}) AS min${i}`,
          `max(${quoteIdent(name)}) AS max${i}`,
          `count(${quoteIdent(name)}) AS n${i}`,
        ]),
      );
      const rows = await influxQl(
        settings,
        `SELECT ${columns.join(', ')} FROM ${measurement(request.kind)} ${where(request)} GROUP BY time(${
          WINDOW_MS[request.window]
        }ms) fill(none)`,
      );
      return rows.map((row) => {
        const values: Record<string, WindowStats> = {};
        fields.forEach(({ name }, i) => {
          const count = Number(row[`n${i}`] ?? 0);
          const num = (key: string) => (typeof row[key] === 'number' ? (row[key] as number) : null);
          values[name] =
            count === 0
              ? { mean: null, min: null, max: null, count: 0 }
              : { mean: roundMean(num(`mean${i}`)), min: num(`min${i}`), max: num(`max${i}`), count };
        });
        return {
          start: new Date(row.time as number).toISOString(),
          readings: Number(row.readings ?? 0),
          values,
        };
      });
    },

    health(): TimeSeriesHealth {
      const spooled = spool.knownSize();
      return {
        adapter: 'influxdb',
        state:
          spooled >= spool.limit || spool.holding()
            ? 'full'
            : retrying
              ? 'retrying'
              : spooled > 0
                ? 'draining'
                : 'ok',
        spooled,
        spoolLimit: spool.limit,
        written,
        failures,
        rejected,
        lastError,
        lastWriteAt,
      };
    },

    async close() {
      stopped = true;
      wake?.();
      await loop;
      await sink.close();
    },
  };
}
