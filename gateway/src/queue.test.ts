import type { Observation } from '@wardline/protocol';
import { describe, expect, it } from 'vitest';
import { MemoryOutbox } from './queue.js';

let n = 0;
type Kind = 'blood_pressure' | 'fall' | 'help_request' | 'upright' | 'no_movement';
function obs(kind: Kind, seq = n++): Observation {
  const id = `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
  const base = { id, deviceId: 'c0:ff:ee:01:00:01', measuredAt: '2025-03-01T08:30:15Z', seq };
  if (kind === 'blood_pressure') {
    return {
      ...base,
      kind,
      values: { systolic: { value: 120, unit: 'mmHg' }, diastolic: { value: 80, unit: 'mmHg' } },
    };
  }
  return { ...base, kind, values: {} };
}
const seqs = (list: Observation[]) => list.map((o) => o.seq);

describe('in-memory outbox', () => {
  it('hands out routine observations in the order they were taken, in batches', () => {
    const outbox = new MemoryOutbox();
    for (let seq = 0; seq < 5; seq++) outbox.enqueue(obs('blood_pressure', seq));
    expect(seqs(outbox.peekBatch(3))).toEqual([0, 1, 2]);
    expect(seqs(outbox.peekBatch(3))).toEqual([0, 1, 2]); // peek does not remove
    expect(outbox.size()).toBe(5);
  });

  it('sends urgent kinds ahead of the backlog, in urgent-only batches', () => {
    const outbox = new MemoryOutbox();
    outbox.enqueue(obs('blood_pressure', 10));
    outbox.enqueue(obs('blood_pressure', 11));
    outbox.enqueue(obs('fall', 12));
    outbox.enqueue(obs('blood_pressure', 13));
    outbox.enqueue(obs('help_request', 14));
    expect(seqs(outbox.peekBatch(10))).toEqual([12, 14]);
    outbox.ack(outbox.peekBatch(10).map((o) => o.id));
    expect(seqs(outbox.peekBatch(10))).toEqual([10, 11, 13]);
  });

  // Everything a falls sensor reports after a fall is urgent too (PROTOCOL.md §4, revision 1.1).
  it.each(['fall', 'help_request', 'upright', 'no_movement'] as const)(
    'a %s overtakes a routine backlog, alone in its batch, and is never evicted',
    (kind) => {
      const outbox = new MemoryOutbox({ capacity: 5 });
      for (let seq = 50; seq < 54; seq++) outbox.enqueue(obs('blood_pressure', seq));
      expect(outbox.enqueue(obs(kind, 54)).evicted).toHaveLength(0);
      expect(outbox.peekBatch(10).map((o) => [o.seq, o.kind])).toEqual([[54, kind]]);
      expect(seqs(outbox.enqueue(obs('blood_pressure', 55)).evicted)).toEqual([50]);
      expect(outbox.stats()).toMatchObject({ pending: 5, urgentPending: 1 });
      outbox.ack([obs(kind, 54).id]);
      expect(seqs(outbox.peekBatch(10))).toEqual([51, 52, 53, 55]);
    },
  );

  it('keeps everything until acknowledged; ack removes exactly the acknowledged ids', () => {
    const outbox = new MemoryOutbox();
    for (let seq = 20; seq < 24; seq++) outbox.enqueue(obs('blood_pressure', seq));
    const batch = outbox.peekBatch(2);
    expect(outbox.ack(batch.map((o) => o.id))).toBe(2);
    expect(outbox.ack(batch.map((o) => o.id))).toBe(0); // a repeated PUBACK is harmless
    expect(seqs(outbox.peekBatch(10))).toEqual([22, 23]);
    expect(outbox.stats()).toMatchObject({ pending: 2, acked: 2 });
  });

  it('hands an unacknowledged batch out again (retry), skipping only what is in flight', () => {
    const outbox = new MemoryOutbox();
    for (let seq = 30; seq < 34; seq++) outbox.enqueue(obs('blood_pressure', seq));
    const first = outbox.peekBatch(2);
    const inFlight = new Set(first.map((o) => o.id));
    expect(seqs(outbox.peekBatch(2, inFlight))).toEqual([32, 33]);
    // The connection dropped before PUBACK: nothing in flight any more, the same batch comes back.
    expect(seqs(outbox.peekBatch(2))).toEqual([30, 31]);
  });

  it('ignores an observation it already holds (same id)', () => {
    const outbox = new MemoryOutbox();
    const o = obs('blood_pressure');
    outbox.enqueue(o);
    outbox.enqueue(o);
    expect(outbox.size()).toBe(1);
  });

  it('at capacity evicts the oldest routine observation, reported to the caller, never an urgent one', () => {
    const outbox = new MemoryOutbox({ capacity: 3 });
    outbox.enqueue(obs('fall', 40));
    outbox.enqueue(obs('blood_pressure', 41));
    outbox.enqueue(obs('blood_pressure', 42));
    const result = outbox.enqueue(obs('blood_pressure', 43));
    expect(seqs(result.evicted)).toEqual([41]);
    expect(outbox.enqueue(obs('help_request', 44)).evicted).toHaveLength(0); // urgent always accepted
    expect(seqs(outbox.peekBatch(10))).toEqual([40, 44]);
    expect(outbox.stats()).toMatchObject({ pending: 4, urgentPending: 2, capacity: 3, evicted: 1 });
  });
});
