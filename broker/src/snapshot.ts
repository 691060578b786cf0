/**
 * The broker's durable data (LevelDB) at one instant, as a byte stream, and back into a data
 * directory. The running broker holds LevelDB's lock, so a copy of its files is neither possible
 * for another process to open nor guaranteed whole; the broker itself streams the entries instead.
 *
 * Consistency: every entry comes from one LevelDB iterator, which reads from an implicit snapshot
 * taken when it is created: writes the broker makes while the stream runs are not in it. The
 * result is the data as a broker killed at that instant would leave it (every write up to a point,
 * none after), which is the state the broker already recovers from after a crash.
 *
 * Stream format (version 1): the 8 bytes "WLSNAP1\n"; per entry a big-endian u32 key length, the
 * key, a u32 value length, the value; then the u32 0xFFFFFFFF, the entry count as a u64, and the
 * SHA-256 of every entry byte. A stream cut short, or altered, is refused when read.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { ClassicLevel } from 'classic-level';

const MAGIC = Buffer.from('WLSNAP1\n');
const END = 0xffffffff;
const TRAILER_BYTES = 4 + 8 + 32;
/** Entries read from the iterator at a time. */
const READ_BATCH = 512;
/** Entries and bytes written to the new database in one batch. */
const WRITE_BATCH_ENTRIES = 1000;
const WRITE_BATCH_BYTES = 4 * 1024 * 1024;

type Entry = [Buffer, Buffer];

/** What the broker keeps, by aedes-persistence-level's key prefixes. */
export interface BrokerDataCounts {
  entries: number;
  /** Persistent sessions: client ids with stored subscriptions. */
  sessions: number;
  /** Of those, the Wardline server's own (ids starting with wardline-server). */
  serverSessions: string[];
  subscriptions: number;
  /** QoS 1 messages waiting for (or in flight to) a persistent session. */
  queuedMessages: number;
  retained: number;
  wills: number;
}

export interface SnapshotSummary {
  entries: number;
  /** Bytes of the stream, header and trailer included. */
  bytes: number;
  sha256: string;
}

export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

/** The broker data directory is open in a running broker (LevelDB's LOCK is held). */
export class BrokerDataInUseError extends SnapshotError {
  override name = 'BrokerDataInUseError';
  constructor(readonly directory: string) {
    super(`the broker data directory ${directory} is in use by a running broker (its LevelDB LOCK is held)`);
  }
}

const frame = (key: Buffer, value: Buffer): Buffer => {
  const out = Buffer.allocUnsafe(8 + key.length + value.length);
  out.writeUInt32BE(key.length, 0);
  key.copy(out, 4);
  out.writeUInt32BE(value.length, 4 + key.length);
  value.copy(out, 8 + key.length);
  return out;
};

const drainedOrClosed = (out: Writable): Promise<void> =>
  new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });

/**
 * Streams every entry of `db` to `out` from a single iterator (one point in time), respecting
 * back-pressure; rejects if `out` closes first. Does not end `out`.
 */
export async function writeSnapshot(db: ClassicLevel, out: Writable): Promise<SnapshotSummary> {
  const iterator = db.iterator<Buffer, Buffer>({ keyEncoding: 'buffer', valueEncoding: 'buffer' });
  const hash = createHash('sha256');
  let entries = 0;
  let bytes = 0;
  let closed = false;
  const onClose = () => (closed = true);
  out.once('close', onClose);
  const write = async (chunk: Buffer): Promise<void> => {
    if (closed || out.destroyed) throw new SnapshotError('the snapshot reader went away');
    bytes += chunk.length;
    if (!out.write(chunk)) await drainedOrClosed(out);
  };
  try {
    await write(MAGIC);
    for (;;) {
      const batch = (await iterator.nextv(READ_BATCH)) as Entry[];
      if (batch.length === 0) break;
      const chunk = Buffer.concat(batch.map(([key, value]) => frame(key, value)));
      hash.update(chunk);
      entries += batch.length;
      await write(chunk);
    }
    const digest = hash.digest();
    const trailer = Buffer.alloc(TRAILER_BYTES);
    trailer.writeUInt32BE(END, 0);
    trailer.writeBigUInt64BE(BigInt(entries), 4);
    digest.copy(trailer, 12);
    await write(trailer);
    return { entries, bytes, sha256: digest.toString('hex') };
  } finally {
    out.off('close', onClose);
    await iterator.close();
  }
}

/** Counts entries by kind; feed every key, then read `counts`. */
class Tally {
  readonly #sessions = new Set<string>();
  readonly counts: BrokerDataCounts = {
    entries: 0,
    sessions: 0,
    serverSessions: [],
    subscriptions: 0,
    queuedMessages: 0,
    retained: 0,
    wills: 0,
  };

  add(key: Buffer): void {
    const text = key.toString('utf8');
    const c = this.counts;
    c.entries++;
    if (text.startsWith('subscriptions:')) {
      c.subscriptions++;
      const client = text.slice('subscriptions:'.length).split(':', 1)[0] ?? '';
      if (!this.#sessions.has(client)) {
        this.#sessions.add(client);
        c.sessions++;
        const id = decodeURIComponent(client);
        if (id.startsWith('wardline-server')) c.serverSessions.push(id);
      }
    } else if (text.startsWith('outgoing:')) c.queuedMessages++;
    else if (text.startsWith('retained:')) c.retained++;
    else if (text.startsWith('will:')) c.wills++;
  }
}

/**
 * Reads a snapshot stream into a new LevelDB directory (which must not exist yet), checking the
 * trailer's count and digest. On any failure the directory is left for the caller to remove.
 */
export async function readSnapshot(
  source: AsyncIterable<Uint8Array>,
  directory: string,
): Promise<SnapshotSummary & { counts: BrokerDataCounts }> {
  if (existsSync(directory)) throw new SnapshotError(`${directory} already exists`);
  const db = new ClassicLevel<Buffer, Buffer>(directory, {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
    errorIfExists: true,
  });
  await db.open();
  const hash = createHash('sha256');
  const tally = new Tally();
  let pending: Buffer = Buffer.alloc(0);
  let bytes = 0;
  let headerRead = false;
  let trailer: Buffer | null = null;
  let batch = db.batch();
  let batchBytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await batch.write();
    batch = db.batch();
    batchBytes = 0;
  };
  try {
    for await (const chunk of source) {
      bytes += chunk.length;
      if (trailer) throw new SnapshotError('data after the end of the snapshot');
      pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
      if (!headerRead) {
        if (pending.length < MAGIC.length) continue;
        if (!pending.subarray(0, MAGIC.length).equals(MAGIC))
          throw new SnapshotError('not a Wardline broker snapshot (version 1)');
        pending = pending.subarray(MAGIC.length);
        headerRead = true;
      }
      let offset = 0;
      while (pending.length - offset >= 4) {
        const keyLength = pending.readUInt32BE(offset);
        if (keyLength === END) {
          if (pending.length - offset < TRAILER_BYTES) break;
          trailer = pending.subarray(offset, offset + TRAILER_BYTES);
          if (pending.length - offset > TRAILER_BYTES)
            throw new SnapshotError('data after the end of the snapshot');
          offset += TRAILER_BYTES;
          break;
        }
        if (pending.length - offset < 8 + keyLength) break;
        const valueLength = pending.readUInt32BE(offset + 4 + keyLength);
        const size = 8 + keyLength + valueLength;
        if (pending.length - offset < size) break;
        const record = pending.subarray(offset, offset + size);
        hash.update(record);
        const key = Buffer.from(record.subarray(4, 4 + keyLength));
        const value = Buffer.from(record.subarray(8 + keyLength));
        batch.put(key, value);
        tally.add(key);
        batchBytes += size;
        offset += size;
        if (batch.length >= WRITE_BATCH_ENTRIES || batchBytes >= WRITE_BATCH_BYTES) await flush();
      }
      pending = pending.subarray(offset);
    }
    if (!trailer) throw new SnapshotError('the snapshot stream ended early (no end marker)');
    const count = Number(trailer.readBigUInt64BE(4));
    const digest = hash.digest();
    if (count !== tally.counts.entries)
      throw new SnapshotError(`the snapshot announces ${count} entries, ${tally.counts.entries} arrived`);
    if (!digest.equals(trailer.subarray(12))) throw new SnapshotError('the snapshot digest does not match');
    await flush();
    return { entries: count, bytes, sha256: digest.toString('hex'), counts: tally.counts };
  } finally {
    if (batch.length > 0) await batch.close();
    await db.close();
  }
}

/**
 * Opens a broker data directory that no broker runs on, and counts what it holds. Throws
 * BrokerDataInUseError when a broker holds it.
 */
export async function inspectBrokerData(directory: string): Promise<BrokerDataCounts> {
  if (!existsSync(directory)) throw new SnapshotError(`${directory} does not exist`);
  const db = new ClassicLevel<Buffer, Buffer>(directory, {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
    createIfMissing: false,
  });
  try {
    await db.open();
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED')
      throw new BrokerDataInUseError(directory);
    throw err;
  }
  const tally = new Tally();
  try {
    for await (const key of db.keys()) tally.add(key);
  } finally {
    await db.close();
  }
  return tally.counts;
}

/** Throws BrokerDataInUseError when a running broker holds `directory`; anything else passes. */
export async function assertBrokerDataNotInUse(directory: string): Promise<void> {
  if (!existsSync(directory)) return;
  const db = new ClassicLevel(directory, { createIfMissing: false });
  try {
    await db.open();
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED')
      throw new BrokerDataInUseError(directory);
    // Not a LevelDB directory, or a damaged one: not held by a broker, which is all this asks.
    return;
  }
  await db.close();
}
