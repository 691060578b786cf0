/**
 * The LevelDB that aedes-persistence-level writes through, with group commit: every put, del and
 * batch issued while the previous write is on its way to disk is queued and then written as ONE
 * LevelDB batch, and each caller's promise settles only once that batch is written. Each QoS 1
 * message costs aedes-persistence-level three puts and a batch of two deletes (queue, in-flight
 * index, PUBACK); written one by one they took about a third of the broker's CPU. What
 * a caller is told is written is written (the same non-fsynced LevelDB write as before), and the
 * order of writes is kept: batches go to disk one at a time, in the order they were asked for.
 *
 * Reads see the queued writes (a read must never find an older value than a write that was
 * already asked for); range reads and range clears wait for everything queued before them.
 */
import type { ClassicLevel } from 'classic-level';

type Value = Uint8Array;
type WriteOp = { type: 'put'; key: string; value: Value } | { type: 'del'; key: string };
interface Encoding {
  valueEncoding?: string;
}
interface Range {
  gte?: string;
  gt?: string;
  lte?: string;
  lt?: string;
}

interface Job {
  /** A group of writes that may share a LevelDB batch, or a range clear (written alone). */
  ops: WriteOp[] | null;
  /** Value bytes of `ops`. */
  bytes: number;
  clear?: Range;
  done: { resolve: () => void; reject: (error: unknown) => void };
  settled: Promise<void>;
}

/** The part of the classic-level API that aedes-persistence-level 9 uses. */
export interface CoalescedLevel {
  get(key: string, options?: Encoding): Promise<Value | undefined>;
  put(key: string, value: Value, options?: Encoding): Promise<void>;
  del(key: string): Promise<void>;
  batch(ops: WriteOp[], options?: Encoding): Promise<void>;
  batch(): ChainedBatch;
  clear(range: Range): Promise<void>;
  values(options: Range & Encoding): AsyncIterable<Value>;
  close(): Promise<void>;
}

interface ChainedBatch {
  put(key: string, value: Value): ChainedBatch;
  del(key: string): ChainedBatch;
  write(): Promise<void>;
}

const BUFFER = { valueEncoding: 'buffer' } as const;

export interface CoalescingOptions {
  /** Most writes in one LevelDB batch; more wait for the next (bounds a caller's wait). */
  maxBatchOps?: number;
  /**
   * Most value bytes in one LevelDB batch (a batch with a single larger write is still written):
   * a reconnect storm queues megabytes of replayed readings, and a write asked for behind it
   * waits at most for the batch on its way to disk, not for all of them.
   */
  maxBatchBytes?: number;
  /**
   * Whether the write being asked for now is urgent (falls, help calls): urgent writes go to disk
   * in the next batch, ahead of routine writes queued before them. Their keys are never a routine
   * write's (each message has its own keys), so only a queued range clear, which could cover
   * them, keeps them in line.
   */
  isUrgent?: () => boolean;
  /**
   * Point reads on the event loop (classic-level getSync) instead of LevelDB's thread pool. The
   * keys read per message were written moments before, so LevelDB finds them in its memtable in
   * microseconds, far less than the hand-off to a worker thread and back costs.
   */
  syncReads?: boolean;
}

export interface WriteStats {
  /** Writes asked for (puts and dels, each op of a caller's batch counted). */
  ops: number;
  /** LevelDB batches written for them. */
  batches: number;
  /** Writes asked for as urgent, and how many of them went ahead of routine writes queued before. */
  urgentOps: number;
  urgentAhead: number;
}

const opBytes = (op: WriteOp): number => (op.type === 'put' ? op.value.byteLength : 0);

export function coalesceWrites(
  db: ClassicLevel,
  options: CoalescingOptions = {},
): CoalescedLevel & { stats(): WriteStats } {
  const level = db as unknown as ClassicLevel<string, Value>;
  const maxBatchOps = options.maxBatchOps ?? 4096;
  const maxBatchBytes = options.maxBatchBytes ?? 4 * 1024 * 1024;
  const syncReads = options.syncReads ?? true;
  const isUrgent = options.isUrgent ?? (() => false);
  /** Routine writes and range clears, in the order asked for. */
  const queue: Job[] = [];
  /** Urgent writes, in the order asked for, written before `queue` unless a clear is queued. */
  const urgent: Job[] = [];
  let queuedClears = 0;
  /** Latest queued or in-flight value per key (undefined: deleted), with the op that set it. */
  const overlay = new Map<string, { value: Value | undefined; op: WriteOp }>();
  let writing = false;
  const stats: WriteStats = { ops: 0, batches: 0, urgentOps: 0, urgentAhead: 0 };

  /** Whether `job` may share a batch with `ops` writes of `bytes` value bytes. */
  const fits = (job: Job, ops: number, bytes: number): boolean =>
    job.ops!.length + ops <= maxBatchOps && job.bytes + bytes <= maxBatchBytes;

  const newJob = (ops: WriteOp[] | null, clear?: Range): Job => {
    let done!: Job['done'];
    const settled = new Promise<void>((resolve, reject) => (done = { resolve, reject }));
    return { ops, bytes: 0, clear, done, settled };
  };

  const forget = (ops: WriteOp[]): void => {
    for (const op of ops) if (overlay.get(op.key)?.op === op) overlay.delete(op.key);
  };

  const writeNext = (): void => {
    if (writing || (queue.length === 0 && urgent.length === 0)) return;
    writing = true;
    const head = queue[0];
    if (urgent.length === 0 && head?.ops === null) {
      queue.shift();
      queuedClears--;
      level.clear(head.clear!).then(
        () => finish([head], []),
        (error: unknown) => finish([head], [], error),
      );
      return;
    }
    const jobs: Job[] = [];
    const ops: WriteOp[] = [];
    let bytes = 0;
    // Urgent writes first, then routine ones in order up to the next clear, within the bounds.
    for (const from of [urgent, queue]) {
      while (from.length > 0 && from[0]!.ops !== null) {
        const next = from[0]!;
        if (ops.length > 0 && !fits(next, ops.length, bytes)) break;
        jobs.push(from.shift()!);
        for (const op of next.ops!) ops.push(op);
        bytes += next.bytes;
      }
    }
    stats.batches++;
    level.batch(ops, BUFFER).then(
      () => finish(jobs, ops),
      (error: unknown) => finish(jobs, ops, error),
    );
  };

  const finish = (jobs: Job[], ops: WriteOp[], error?: unknown): void => {
    forget(ops);
    writing = false;
    for (const job of jobs) {
      if (error === undefined) job.done.resolve();
      else job.done.reject(error);
    }
    writeNext();
  };

  const enqueue = (ops: WriteOp[]): Promise<void> => {
    if (ops.length === 0) return Promise.resolve();
    stats.ops += ops.length;
    for (const op of ops) overlay.set(op.key, { value: op.type === 'put' ? op.value : undefined, op });
    let line = queue;
    if (isUrgent()) {
      stats.urgentOps += ops.length;
      if (queuedClears === 0) {
        line = urgent;
        if (queue.length > 0) stats.urgentAhead += ops.length;
      }
    }
    // Writes asked for while a batch is on its way join the one queued next, until it is full.
    let bytes = 0;
    for (const op of ops) bytes += opBytes(op);
    const tail = line.at(-1);
    const joins = tail !== undefined && tail.ops !== null && writing && fits(tail, ops.length, bytes);
    const job = joins ? tail : newJob([]);
    if (job !== tail) line.push(job);
    for (const op of ops) job.ops!.push(op);
    job.bytes += bytes;
    writeNext();
    return job.settled;
  };

  /** Settles once everything asked for so far is written (jobs are written in order). */
  const barrier = (): Promise<void> => {
    const tails = [urgent.at(-1), queue.at(-1)].filter((job) => job !== undefined);
    if (tails.length > 0)
      return Promise.all(tails.map((job) => job.settled.catch(() => undefined))).then(() => undefined);
    if (!writing) return Promise.resolve();
    // Only an in-flight batch: queue an empty marker behind it.
    const marker = newJob([]);
    queue.push(marker);
    return marker.settled;
  };

  function batch(ops: WriteOp[], _options?: Encoding): Promise<void>;
  function batch(): ChainedBatch;
  function batch(ops?: WriteOp[], _options?: Encoding): Promise<void> | ChainedBatch {
    if (ops !== undefined) return enqueue(ops.map((op) => ({ ...op })));
    const chained: WriteOp[] = [];
    const chain: ChainedBatch = {
      put: (key, value) => (chained.push({ type: 'put', key, value }), chain),
      del: (key) => (chained.push({ type: 'del', key }), chain),
      write: () => enqueue(chained),
    };
    return chain;
  }

  return {
    get: async (key) => {
      const queued = overlay.get(key);
      if (queued !== undefined) return queued.value;
      // getSync throws until the database has finished opening.
      if (syncReads && level.status === 'open') return level.getSync(key, BUFFER);
      return level.get(key, BUFFER);
    },
    put: (key, value) => enqueue([{ type: 'put', key, value }]),
    del: (key) => enqueue([{ type: 'del', key }]),
    batch,
    clear: (range) => {
      // Keys in the range with queued writes read as deleted from now on.
      for (const [key, entry] of overlay) {
        if (inRange(key, range)) overlay.set(key, { value: undefined, op: entry.op });
      }
      const job = newJob(null, range);
      queue.push(job);
      queuedClears++;
      writeNext();
      return job.settled;
    },
    values: (options) => ({
      async *[Symbol.asyncIterator]() {
        await barrier();
        yield* level.values({ ...options, ...BUFFER });
      },
    }),
    close: async () => {
      await barrier();
      await level.close();
    },
    stats: () => ({ ...stats }),
  };
}

function inRange(key: string, range: Range): boolean {
  if (range.gte !== undefined && key < range.gte) return false;
  if (range.gt !== undefined && key <= range.gt) return false;
  if (range.lte !== undefined && key > range.lte) return false;
  if (range.lt !== undefined && key >= range.lt) return false;
  return true;
}
