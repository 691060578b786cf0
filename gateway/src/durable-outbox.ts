/**
 * The durable outbox: the `Outbox` contract (see queue.ts) kept in a SQLite database, so that
 * readings survive kill -9, power loss and days without a broker.
 *
 * Durability policy: journal_mode=WAL with synchronous=FULL, so every enqueue is one transaction
 * whose WAL frames are fsynced before `enqueue` returns; only then does dispatch count the
 * reading as taken. An acknowledgement deletes rows in one transaction, also fsynced; if power is
 * lost before that commit the rows are sent again, and the server de-duplicates by id.
 *
 * The per-gateway sequence lives in the same database (`SqliteSequence`): the next number is
 * written in the transaction that stores the observation, so a restart never reuses a number that
 * reached the disk (a number taken but never stored may be reused: nothing carried it).
 *
 * Order: rows are keyed by seq, the order readings were taken; urgent kinds are read first.
 */
import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { isUrgentKind, type Observation } from '@wardline/protocol';
import {
  DEFAULT_OUTBOX_CAPACITY,
  type EnqueueResult,
  type IdFilter,
  type Outbox,
  type OutboxStats,
} from './queue.js';
import type { Sequence } from './sequence.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    urgent INTEGER NOT NULL,
    body TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS outbox_urgent ON outbox (urgent, seq);
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
  INSERT OR IGNORE INTO meta (key, value) VALUES ('next_seq', 0);
`;

/**
 * Owner-only outbox files (readings are personal data): a new database is created 0600 (SQLite
 * gives its WAL and shared-memory files the same mode), a new directory 0700, and existing files
 * with looser modes are tightened.
 */
function restrictOutboxFiles(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (existsSync(file) && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  }
}

/** Fraction of capacity at which the outbox reports itself nearly full. */
export const NEARLY_FULL_FRACTION = 0.8;

export interface SqliteOutboxOptions {
  path: string;
  capacity?: number;
}

export class SqliteOutbox implements Outbox {
  readonly capacity: number;
  readonly path: string;
  private readonly db: Database.Database;
  private pending: number;
  private urgentPending: number;
  private evictedCount = 0;
  private ackedCount = 0;
  private readonly statements;
  private readonly insertTx: (observation: Observation) => { inserted: boolean; evicted: Observation[] };
  private readonly ackTx: (ids: string[]) => number;

  constructor(options: SqliteOutboxOptions) {
    this.capacity = options.capacity ?? DEFAULT_OUTBOX_CAPACITY;
    if (!Number.isInteger(this.capacity) || this.capacity < 1)
      throw new RangeError('outbox capacity must be >= 1');
    this.path = options.path;
    restrictOutboxFiles(options.path);
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    const check = this.db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`outbox database ${options.path} failed its integrity check`);

    this.statements = {
      exists: this.db.prepare<[string], { n: number }>('SELECT 1 AS n FROM outbox WHERE id = ?'),
      insert: this.db.prepare<[number, string, number, string]>(
        'INSERT INTO outbox (seq, id, urgent, body) VALUES (?, ?, ?, ?)',
      ),
      bumpSeq: this.db.prepare<[number]>("UPDATE meta SET value = max(value, ?) WHERE key = 'next_seq'"),
      nextSeq: this.db.prepare<[], { value: number }>("SELECT value FROM meta WHERE key = 'next_seq'"),
      oldestRoutine: this.db.prepare<[number], { seq: number; body: string }>(
        'SELECT seq, body FROM outbox WHERE urgent = 0 ORDER BY seq LIMIT ?',
      ),
      deleteSeq: this.db.prepare<[number]>('DELETE FROM outbox WHERE seq = ?'),
      ofKind: this.db.prepare<[number], { id: string; body: string }>(
        'SELECT id, body FROM outbox WHERE urgent = ? ORDER BY seq',
      ),
      deleteId: this.db.prepare<[string], { urgent: number }>(
        'DELETE FROM outbox WHERE id = ? RETURNING urgent',
      ),
      counts: this.db.prepare<[], { pending: number; urgent: number | null }>(
        'SELECT count(*) AS pending, sum(urgent) AS urgent FROM outbox',
      ),
    };
    const counts = this.statements.counts.get() ?? { pending: 0, urgent: 0 };
    this.pending = counts.pending;
    this.urgentPending = counts.urgent ?? 0;

    this.insertTx = this.db.transaction((observation: Observation) => {
      if (this.statements.exists.get(observation.id)) return { inserted: false, evicted: [] };
      const urgent = isUrgentKind(observation.kind);
      const evicted: Observation[] = [];
      if (!urgent) {
        const over = this.pending + 1 - this.capacity;
        if (over > 0) {
          for (const row of this.statements.oldestRoutine.all(over)) {
            this.statements.deleteSeq.run(row.seq);
            evicted.push(JSON.parse(row.body) as Observation);
          }
        }
      }
      this.statements.insert.run(
        observation.seq,
        observation.id,
        urgent ? 1 : 0,
        JSON.stringify(observation),
      );
      this.statements.bumpSeq.run(observation.seq + 1);
      return { inserted: true, evicted };
    });
    this.ackTx = this.db.transaction((ids: string[]): number => {
      let removed = 0;
      for (const id of ids) {
        const row = this.statements.deleteId.get(id);
        if (!row) continue;
        removed++;
        this.pending--;
        if (row.urgent) this.urgentPending--;
      }
      return removed;
    });
  }

  /** The sequence stored beside the observations: continues where the last run stopped. */
  sequence(): Sequence {
    return new SqliteSequence(this.statements.nextSeq.get()?.value ?? 0);
  }

  enqueue(observation: Observation): EnqueueResult {
    // Counters change only after the transaction committed (it throws otherwise).
    const { inserted, evicted } = this.insertTx(observation);
    if (inserted) {
      this.pending += 1 - evicted.length;
      if (isUrgentKind(observation.kind)) this.urgentPending++;
      this.evictedCount += evicted.length;
    }
    return { evicted };
  }

  peekBatch(max: number, exclude: IdFilter = new Set<string>()): Observation[] {
    const take = (urgent: number) => {
      const batch: Observation[] = [];
      if (urgent === 1 && this.urgentPending === 0) return batch;
      for (const row of this.statements.ofKind.iterate(urgent)) {
        if (batch.length >= max) break;
        if (!exclude.has(row.id)) batch.push(JSON.parse(row.body) as Observation);
      }
      return batch;
    };
    const urgent = take(1);
    return urgent.length > 0 ? urgent : take(0);
  }

  ack(ids: Iterable<string>): number {
    const removed = this.ackTx([...ids]);
    this.ackedCount += removed;
    return removed;
  }

  size(): number {
    return this.pending;
  }

  stats(): OutboxStats {
    return {
      pending: this.pending,
      urgentPending: this.urgentPending,
      capacity: this.capacity,
      evicted: this.evictedCount,
      acked: this.ackedCount,
    };
  }

  nearlyFull(): boolean {
    return this.pending >= this.capacity * NEARLY_FULL_FRACTION;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** See the module comment: the number is persisted by SqliteOutbox.enqueue, not here. */
export class SqliteSequence implements Sequence {
  constructor(private value: number) {}

  peek(): number {
    return this.value;
  }

  next(): number {
    return this.value++;
  }
}
