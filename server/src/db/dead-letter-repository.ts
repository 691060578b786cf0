import type { DeadLetter } from '@wardline/protocol';
import type { SqlDatabase, SqlValue } from './engines/engine.js';

/** Rejected payloads are kept up to this size; larger ones are truncated (their size is kept). */
const MAX_KEPT_PAYLOAD_CHARS = 8192;

export interface NewDeadLetter {
  topic: string;
  code: string;
  detail: string;
  payload: string | Uint8Array;
  receivedAt: string;
}

function printable(payload: string | Uint8Array): { text: string; bytes: number } {
  if (typeof payload === 'string') {
    const head = payload.slice(0, MAX_KEPT_PAYLOAD_CHARS);
    const text = head.includes('\u0000') ? `base64:${Buffer.from(head, 'utf8').toString('base64')}` : head;
    return { text, bytes: Buffer.byteLength(payload) };
  }
  const buffer = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const head = buffer.subarray(0, MAX_KEPT_PAYLOAD_CHARS);
  const text = head.toString('utf8');
  // Binary, invalid UTF-8 or a NUL byte (which no PostgreSQL text can hold) is kept as base64, so
  // an operator sees the exact bytes, the same on either engine.
  const faithful = !head.includes(0) && Buffer.from(text, 'utf8').equals(head);
  return { text: faithful ? text : `base64:${head.toString('base64')}`, bytes: buffer.byteLength };
}

/** Free text about a rejection may quote the payload; a NUL in it is shown, not stored raw. */
const storable = (text: string) => text.replaceAll('\u0000', '\\u0000');

export interface DeadLetterQuery {
  code?: string;
  limit: number;
  beforeId?: number;
  /** Only those whose topic names a site of this organisation. */
  organisationId?: string;
}

export function createDeadLetterRepository(sql: SqlDatabase) {
  return {
    /**
     * Keeps a rejected payload. Nothing here depends on what the payload holds (bytes are copied,
     * never parsed or serialised), so a dead letter can always be written while storage works.
     */
    async add(letter: NewDeadLetter): Promise<void> {
      const { text, bytes } = printable(letter.payload);
      await sql.run(
        `INSERT INTO dead_letters (received_at, topic, code, detail, payload, payload_bytes)
         VALUES (?, ?, ?, ?, ?, ?)`,
        [
          letter.receivedAt,
          storable(String(letter.topic).slice(0, 512)),
          letter.code,
          storable(String(letter.detail).slice(0, 1000)),
          text,
          bytes,
        ],
      );
    },
    async list(query: DeadLetterQuery): Promise<DeadLetter[]> {
      const clauses = ['1 = 1'];
      const params: SqlValue[] = [];
      if (query.code) {
        clauses.push('code = ?');
        params.push(query.code);
      }
      if (query.beforeId) {
        clauses.push('id < ?');
        params.push(query.beforeId);
      }
      if (query.organisationId) {
        clauses.push(`EXISTS (SELECT 1 FROM sites s WHERE s.organisation_id = ?
                        AND substr(topic, 1, length('wardline/v1/' || s.code || '/')) = 'wardline/v1/' || s.code || '/')`);
        params.push(query.organisationId);
      }
      const rows = await sql.all<{
        id: number;
        received_at: string;
        topic: string;
        code: string;
        detail: string;
        payload: string;
        payload_bytes: number;
      }>(
        `SELECT id, received_at, topic, code, detail, payload, payload_bytes FROM dead_letters
          WHERE ${clauses.join(' AND ')} ORDER BY id DESC LIMIT ?`,
        [...params, query.limit],
      );
      return rows.map((r) => ({
        id: r.id,
        receivedAt: r.received_at,
        topic: r.topic,
        code: r.code,
        detail: r.detail,
        payload: r.payload,
        payloadBytes: r.payload_bytes,
      }));
    },
  };
}
export type DeadLetterRepository = ReturnType<typeof createDeadLetterRepository>;
