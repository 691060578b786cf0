import { describe, expect, it } from 'vitest';
import { mixSeed, mulberry32, Rng } from './prng.js';

describe('seeded PRNG', () => {
  it('is deterministic from its seed and differs across seeds', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const seqA = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(seqA);
  });

  it('stays in [0, 1) with a plausible mean', () => {
    const rng = new Rng(7);
    let sum = 0;
    for (let i = 0; i < 10_000; i++) {
      const x = rng.next();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      sum += x;
    }
    expect(sum / 10_000).toBeCloseTo(0.5, 1);
  });

  it('draws integers and normals within bounds', () => {
    const rng = new Rng(9);
    const ints = Array.from({ length: 1000 }, () => rng.int(3, 5));
    expect(new Set(ints)).toEqual(new Set([3, 4, 5]));
    const normals = Array.from({ length: 5000 }, () => rng.normal(100, 10));
    const mean = normals.reduce((s, x) => s + x, 0) / normals.length;
    expect(Math.abs(mean - 100)).toBeLessThan(1);
    expect(normals.every(Number.isFinite)).toBe(true);
  });

  it('forks independent, reproducible streams', () => {
    expect(new Rng(1).fork(2).next()).toBe(new Rng(1).fork(2).next());
    expect(new Rng(1).fork(2).next()).not.toBe(new Rng(1).fork(3).next());
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1));
  });
});
