import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coalesceWrites } from './coalescing-level.js';

const BUFFER = { valueEncoding: 'buffer' } as const;
const bytes = (text: string) => Buffer.from(text);
const text = (value: Uint8Array | undefined) =>
  value === undefined ? undefined : Buffer.from(value).toString();

let dir: string;
let level: ClassicLevel;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wardline-coalescing-'));
  level = new ClassicLevel(join(dir, 'db'));
  await level.open();
});

afterEach(async () => {
  if (level.status === 'open') await level.close();
  await rm(dir, { recursive: true, force: true });
});

const onDisk = (key: string) => text(level.getSync(key, BUFFER) as Uint8Array | undefined);

describe('coalesceWrites', () => {
  it('writes a burst of concurrent puts in a few LevelDB batches, each acknowledged only once on disk', async () => {
    const db = coalesceWrites(level);
    const acknowledged: string[] = [];
    const writes = Array.from({ length: 500 }, (_, i) =>
      db.put(`k:${String(i).padStart(4, '0')}`, bytes(`v${i}`)).then(() => {
        // Told it is written: LevelDB itself has it.
        if (onDisk(`k:${String(i).padStart(4, '0')}`) === `v${i}`) acknowledged.push(`v${i}`);
      }),
    );
    expect(onDisk('k:0499')).toBeUndefined();
    await Promise.all(writes);
    expect(acknowledged).toHaveLength(500);
    const { ops, batches } = db.stats();
    expect(ops).toBe(500);
    expect(batches).toBeLessThan(ops / 50);

    await db.close();
    const reopened = new ClassicLevel(join(dir, 'db'));
    expect(await reopened.values({ gte: 'k:', lt: 'k;' }).all()).toHaveLength(500);
    await reopened.close();
  });

  it('reads its own queued writes, and deletes, before they reach the disk', async () => {
    const db = coalesceWrites(level);
    await db.put('a', bytes('old'));
    const put = db.put('a', bytes('new'));
    expect(text(await db.get('a'))).toBe('new');
    const del = db.batch().del('a').write();
    expect(await db.get('a')).toBeUndefined();
    await Promise.all([put, del]);
    expect(onDisk('a')).toBeUndefined();
    expect(await db.get('a')).toBeUndefined();
  });

  it('keeps the order of writes to one key across batches', async () => {
    const db = coalesceWrites(level, { maxBatchOps: 3 });
    const writes = Array.from({ length: 20 }, (_, i) => db.put('counter', bytes(String(i))));
    await Promise.all(writes);
    expect(onDisk('counter')).toBe('19');
    expect(db.stats().batches).toBeGreaterThan(1);
  });

  it('orders range reads and clears after the writes asked for before them', async () => {
    const db = coalesceWrites(level);
    void db.put('p:1', bytes('one'));
    void db.batch([
      { type: 'put', key: 'p:2', value: bytes('two') },
      { type: 'put', key: 'q:1', value: bytes('other') },
    ]);
    const seen: string[] = [];
    for await (const value of db.values({ gte: 'p:', lt: 'p;' })) seen.push(text(value)!);
    expect(seen).toEqual(['one', 'two']);

    void db.put('p:3', bytes('three'));
    await db.clear({ gte: 'p:', lt: 'p;' });
    expect([onDisk('p:1'), onDisk('p:2'), onDisk('p:3'), onDisk('q:1')]).toEqual([
      undefined,
      undefined,
      undefined,
      'other',
    ]);
  });

  it('keeps each batch within its byte bound, however many writes arrive while one is on its way', async () => {
    const db = coalesceWrites(level, { maxBatchBytes: 10 * 1024 });
    const kib = Buffer.alloc(1024, 1);
    await Promise.all(Array.from({ length: 100 }, (_, i) => db.put(`b:${i}`, kib)));
    // 100 KiB in batches of at most 10 KiB: the first put alone, then ten of ten.
    expect(db.stats().batches).toBeGreaterThanOrEqual(10);
    expect(onDisk('b:99')).toBe(kib.toString());
  });

  it('writes urgent writes ahead of routine ones queued before them, but never ahead of a range clear', async () => {
    let urgent = false;
    const db = coalesceWrites(level, { maxBatchOps: 2, isUrgent: () => urgent });
    const order: string[] = [];
    const write = (key: string, asUrgent: boolean) => {
      urgent = asUrgent;
      const written = db.put(key, bytes(key)).then(() => void order.push(key));
      urgent = false;
      return written;
    };
    // A replay: routine writes queue up behind the one on its way to disk, two to a batch.
    const writes = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'].map((key) => write(key, false));
    writes.push(write('fall', true));
    await Promise.all(writes);
    expect(order.indexOf('fall')).toBeLessThan(order.indexOf('r3'));
    expect(db.stats()).toMatchObject({ urgentOps: 1, urgentAhead: 1 });

    // Behind a range clear that could cover its key, an urgent write keeps its place.
    order.length = 0;
    const more = [
      write('u:1', false),
      db.clear({ gte: 'u:', lt: 'u;' }).then(() => void order.push('clear')),
    ];
    more.push(write('u:2', true));
    await Promise.all(more);
    expect(order).toEqual(['u:1', 'clear', 'u:2']);
    expect(onDisk('u:2')).toBe('u:2');
  });

  it('fails the writes of a batch LevelDB refuses', async () => {
    const db = coalesceWrites(level);
    await level.close();
    await expect(db.put('a', bytes('x'))).rejects.toThrow();
  });
});
