/**
 * The stand-in for the server's observation table: one row per reading id, so a reading that
 * reaches the database twice (a broker's re-delivery, or every aedes replica receiving it) is
 * stored once and the second insert is counted as a rejected duplicate.
 */
import pg from 'pg';

export interface Reading {
  id: string;
  gateway: string;
  kind: 'obs' | 'fall';
  publishedMs: number;
}

export interface Payload {
  id: string;
  t: number;
}

export async function createTable(url: string, table: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE TABLE ${table} (
      id text PRIMARY KEY, gateway text NOT NULL, kind text NOT NULL,
      published_ms bigint NOT NULL, stored_ms bigint NOT NULL, replica int NOT NULL)`);
  } finally {
    await client.end();
  }
}

/** One transaction for the whole group; resolves with how many rows were new. */
export async function insertOnce(
  client: pg.Client,
  table: string,
  replica: number,
  rows: readonly Reading[],
): Promise<number> {
  const now = Date.now();
  const result = await client.query(
    `INSERT INTO ${table} (id, gateway, kind, published_ms, stored_ms, replica)
     SELECT id, gateway, kind, published_ms, $5, $6
       FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS r(id, gateway, kind, published_ms)
     ON CONFLICT (id) DO NOTHING`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.gateway),
      rows.map((r) => r.kind),
      rows.map((r) => r.publishedMs),
      now,
      replica,
    ],
  );
  return result.rowCount ?? 0;
}

/** `wl/<site>/<gateway>/<kind>` (MQTT) or `wl.<site>.<gateway>.<kind>` (AMQP routing key). */
export function parse(topic: string, body: Buffer): Reading {
  const [, , gateway, kind] = topic.split(/[/.]/);
  const payload = JSON.parse(body.toString()) as Payload;
  return {
    id: payload.id,
    gateway: gateway ?? '?',
    kind: kind === 'fall' ? 'fall' : 'obs',
    publishedMs: payload.t,
  };
}

export async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

export async function storedCount(url: string, table: string): Promise<number> {
  return withClient(url, async (c) =>
    Number((await c.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n),
  );
}
