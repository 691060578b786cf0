import type { DeadLetter } from '@wardline/protocol';
import type { Db } from './database.js';

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
    return { text: payload.slice(0, MAX_KEPT_PAYLOAD_CHARS), bytes: Buffer.byteLength(payload) };
  }
  const buffer = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const head = buffer.subarray(0, MAX_KEPT_PAYLOAD_CHARS);
  const text = head.toString('utf8');
  // Binary or invalid UTF-8 is kept as base64 so an operator sees the exact bytes.
  const faithful = Buffer.from(text, 'utf8').equals(head);
  return { text: faithful ? text : `base64:${head.toString('base64')}`, bytes: buffer.byteLength };
}

export interface DeadLetterQuery {
  code?: string;
  limit: number;
  beforeId?: number;
  /** Only those whose topic names a site of this organisation. */
  organisationId?: string;
}

export function createDeadLetterRepository(db: Db) {
  const insert = db.prepare(
    `INSERT INTO dead_letters (received_at, topic, code, detail, payload, payload_bytes)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  return {
    /**
     * Keeps a rejected payload. Nothing here depends on what the payload holds (bytes are copied,
     * never parsed or serialised), so a dead letter can always be written while storage works.
     */
    add(letter: NewDeadLetter): void {
      const { text, bytes } = printable(letter.payload);
      insert.run(
        letter.receivedAt,
        String(letter.topic).slice(0, 512),
        letter.code,
        String(letter.detail).slice(0, 1000),
        text,
        bytes,
      );
    },
    list(query: DeadLetterQuery): DeadLetter[] {
      const clauses = ['1 = 1'];
      if (query.code) clauses.push('code = @code');
      if (query.beforeId) clauses.push('id < @beforeId');
      if (query.organisationId)
        clauses.push(`EXISTS (SELECT 1 FROM sites s WHERE s.organisation_id = @organisationId
                        AND substr(topic, 1, length('wardline/v1/' || s.code || '/')) = 'wardline/v1/' || s.code || '/')`);
      const rows = db
        .prepare(
          `SELECT id, received_at, topic, code, detail, payload, payload_bytes FROM dead_letters
            WHERE ${clauses.join(' AND ')} ORDER BY id DESC LIMIT @limit`,
        )
        .all(query) as {
        id: number;
        received_at: string;
        topic: string;
        code: string;
        detail: string;
        payload: string;
        payload_bytes: number;
      }[];
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
