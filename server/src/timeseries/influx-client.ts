import { InfluxDB } from '@influxdata/influxdb-client';

export interface InfluxSettings {
  url: string;
  /** API token (2.x/3.x) or `user:password` (1.8); empty when the engine has no auth. */
  token: string;
  /** Organisation for /api/v2/write; 1.8 ignores it. */
  org: string;
  /** Bucket for /api/v2/write: the bucket (2.x/3.x) or `database/retention-policy` (1.8). */
  bucket: string;
  /** Database for InfluxQL /query (1.x database, 2.x DBRP-mapped name, 3.x database). */
  database: string;
  /** Per-request timeout in milliseconds. */
  timeoutMs: number;
}

/** Something that makes a batch of line-protocol points durable, or throws. */
export interface LineSink {
  write(lines: string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Writes with @influxdata/influxdb-client to /api/v2/write. The client's own retry buffer is
 * off (the durable spool retries instead), and its batch is larger than any batch we hand it,
 * so `flush()` sends exactly our batch and rejects if InfluxDB did not take it.
 */
export function createInfluxSink(settings: InfluxSettings, maxBatch: number): LineSink {
  const client = new InfluxDB({
    url: settings.url,
    timeout: settings.timeoutMs,
    ...(settings.token ? { token: settings.token } : {}),
  });
  const writeApi = client.getWriteApi(settings.org, settings.bucket, 'ns', {
    batchSize: maxBatch + 1,
    maxBatchBytes: 1 << 30,
    flushInterval: 0,
    maxRetries: 0,
    // Returning the rejection keeps the client from logging on its own; the writer logs.
    writeFailed: (error: Error) => Promise.reject(error),
  });
  return {
    async write(lines) {
      if (lines.length > maxBatch) throw new Error(`batch of ${lines.length} exceeds ${maxBatch}`);
      writeApi.writeRecords(lines);
      await writeApi.flush();
    },
    async close() {
      await writeApi.close().catch(() => undefined);
    },
  };
}

interface InfluxQlResponse {
  results?: {
    error?: string;
    series?: { name: string; columns: string[]; values: unknown[][] }[];
  }[];
  error?: string;
}

/** Runs one InfluxQL statement on /query (the surface 1.x, 2.x with DBRP, and 3.x share). */
export async function influxQl(settings: InfluxSettings, query: string): Promise<Record<string, unknown>[]> {
  const params = new URLSearchParams({ db: settings.database, q: query, epoch: 'ms' });
  const response = await fetch(`${settings.url.replace(/\/$/, '')}/query?${params}`, {
    headers: settings.token ? { authorization: `Token ${settings.token}` } : {},
    signal: AbortSignal.timeout(settings.timeoutMs),
  });
  const body = (await response.json().catch(() => ({}))) as InfluxQlResponse;
  if (!response.ok || body.error) throw new Error(`InfluxQL ${response.status}: ${body.error ?? 'no body'}`);
  const result = body.results?.[0];
  if (result?.error) throw new Error(`InfluxQL: ${result.error}`);
  const rows: Record<string, unknown>[] = [];
  for (const series of result?.series ?? []) {
    for (const values of series.values) {
      const row: Record<string, unknown> = {};
      series.columns.forEach((column, i) => (row[column] = values[i]));
      rows.push(row);
    }
  }
  return rows;
}

/** An InfluxQL string literal. */
export function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** An InfluxQL identifier. */
export function quoteIdent(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
