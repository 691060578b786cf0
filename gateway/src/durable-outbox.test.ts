import { bloodPressure, type Observation } from '@wardline/protocol';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceRegistry } from './devices.js';
import { Dispatcher } from './dispatch.js';
import { SqliteOutbox } from './durable-outbox.js';
import { silentLogger } from './logger.js';

function obs(
  kind: 'blood_pressure' | 'fall' | 'help_request' | 'upright' | 'no_movement',
  seq: number,
): Observation {
  const id = `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
  const base = { id, deviceId: 'c0:ff:ee:01:00:01', measuredAt: '2025-03-01T08:30:15Z', seq };
  if (kind === 'blood_pressure') {
    return {
      ...base,
      kind,
      values: { systolic: { value: 120.5, unit: 'mmHg' }, diastolic: { value: 80, unit: 'mmHg' } },
    };
  }
  return { ...base, kind, values: {} };
}
const seqs = (list: Observation[]) => list.map((o) => o.seq);

const open: SqliteOutbox[] = [];
function outbox(
  path = join(mkdtempSync(join(tmpdir(), 'wardline-outbox-')), 'outbox.db'),
  capacity?: number,
) {
  const o = new SqliteOutbox({ path, ...(capacity !== undefined ? { capacity } : {}) });
  open.push(o);
  return o;
}
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});

describe('durable (SQLite) outbox', () => {
  it('keeps readings, order, urgency and the sequence across a restart until acknowledged', () => {
    const first = outbox();
    const seq = first.sequence();
    for (const kind of ['blood_pressure', 'blood_pressure', 'fall', 'blood_pressure'] as const) {
      first.enqueue(obs(kind, seq.next()));
    }
    first.ack([obs('blood_pressure', 0).id]);
    first.close();

    const second = outbox(first.path);
    expect(second.stats()).toMatchObject({ pending: 3, urgentPending: 1 });
    expect(seqs(second.peekBatch(10))).toEqual([2]); // the fall first
    second.ack([obs('fall', 2).id]);
    const replay = second.peekBatch(10);
    expect(seqs(replay)).toEqual([1, 3]);
    expect(replay[0]).toEqual(obs('blood_pressure', 1)); // exactly as stored, measurement time included
    expect(second.sequence().peek()).toBe(4); // never reuses a stored number
  });

  it.each(['upright', 'no_movement'] as const)(
    'a %s (falls protocol 1.1) is urgent across a restart, like a fall',
    (kind) => {
      const first = outbox();
      for (let s = 0; s < 3; s++) first.enqueue(obs('blood_pressure', s));
      first.enqueue(obs(kind, 3));
      first.close();
      const second = outbox(first.path);
      expect(second.stats()).toMatchObject({ pending: 4, urgentPending: 1 });
      expect(second.peekBatch(10).map((o) => o.kind)).toEqual([kind]);
    },
  );

  it('sequence continues after everything was acknowledged', () => {
    const first = outbox();
    const seq = first.sequence();
    for (let i = 0; i < 3; i++) first.enqueue(obs('blood_pressure', seq.next()));
    first.ack(first.peekBatch(10).map((o) => o.id));
    first.close();
    expect(outbox(first.path).sequence().peek()).toBe(3);
  });

  it('behaves like the outbox contract: peek does not remove, exclusions, duplicates, repeated acks', () => {
    const o = outbox();
    for (let s = 0; s < 4; s++) o.enqueue(obs('blood_pressure', s));
    o.enqueue(obs('blood_pressure', 0));
    expect(o.size()).toBe(4);
    const first = o.peekBatch(2);
    expect(seqs(o.peekBatch(2, new Set(first.map((x) => x.id))))).toEqual([2, 3]);
    expect(o.ack(first.map((x) => x.id))).toBe(2);
    expect(o.ack(first.map((x) => x.id))).toBe(0);
    expect(o.stats()).toMatchObject({ pending: 2, acked: 2 });
  });

  it('at capacity evicts the oldest routine reading, reported, never an urgent one', () => {
    const o = outbox(undefined, 3);
    o.enqueue(obs('fall', 40));
    o.enqueue(obs('blood_pressure', 41));
    o.enqueue(obs('blood_pressure', 42));
    expect(seqs(o.enqueue(obs('blood_pressure', 43)).evicted)).toEqual([41]);
    expect(o.enqueue(obs('help_request', 44)).evicted).toHaveLength(0);
    expect(o.nearlyFull()).toBe(true);
    expect(seqs(o.peekBatch(10))).toEqual([40, 44]);
    expect(o.stats()).toMatchObject({ pending: 4, urgentPending: 2, evicted: 1 });
  });

  it('stores each reading durably at a rate well above what a home produces', () => {
    const o = outbox();
    const n = 2000;
    const started = performance.now();
    for (let s = 0; s < n; s++) o.enqueue(obs('blood_pressure', s));
    const perSecond = Math.round(n / ((performance.now() - started) / 1000));
    console.log(`durable outbox: ${perSecond} fsynced enqueues per second`);
    expect(perSecond).toBeGreaterThan(100);
    expect(o.size()).toBe(n);
  });
});

describe('a failing outbox disk', () => {
  it('is loud: the reading is reported lost with OUTBOX_WRITE_FAILED, and nothing throws', () => {
    const o = outbox();
    const devices = new DeviceRegistry();
    const dispatcher = new Dispatcher({ outbox: o, sequence: o.sequence(), devices, logger: silentLogger });
    o.close(); // the database is gone from under the gateway
    const bytes = bloodPressure.encode({ unit: 'mmHg', systolic: 120, diastolic: 80, meanArterial: 93 });
    const outcome = dispatcher.handle('c0:ff:ee:01:00:01', '1810', '2a35', bytes);
    expect(outcome.status).toBe('rejected');
    expect(outcome.problems.map((p) => p.code)).toEqual(['OUTBOX_WRITE_FAILED']);
    expect(devices.snapshot()[0]?.lastError).toBe('OUTBOX_WRITE_FAILED');
  });
});
