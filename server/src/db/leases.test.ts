import { expect, it } from 'vitest';
import { describeEngines, replicasOf } from '../testing-sql.js';
import type { SqlDatabase } from './engines/engine.js';
import { createLeaseRepository } from './leases.js';

const at = (seconds: number) => new Date(Date.UTC(2026, 10, 29, 12, 0, seconds));

describeEngines('leases', (open) => {
  it('lets one holder at a time have a lease, renewed by its holder, taken by another only once expired', async () => {
    const db = await open();
    const leases = createLeaseRepository(db);
    expect(await leases.acquire('escalations', 'replica-a', 30_000, at(0))).toBe(true);
    expect(await leases.acquire('escalations', 'replica-b', 30_000, at(10))).toBe(false);
    expect(await leases.acquire('escalations', 'replica-a', 30_000, at(20))).toBe(true);
    // Renewed at 20 s: still A's at 45 s, B's once it lapses at 50 s.
    expect(await leases.acquire('escalations', 'replica-b', 30_000, at(45))).toBe(false);
    expect(await leases.acquire('escalations', 'replica-b', 30_000, at(50))).toBe(true);
    expect(await leases.acquire('escalations', 'replica-a', 30_000, at(51))).toBe(false);
    expect(await leases.current('escalations')).toEqual({
      name: 'escalations',
      holder: 'replica-b',
      acquiredAt: at(50).toISOString(),
      expiresAt: at(80).toISOString(),
    });
    // Another job's lease is separate.
    expect(await leases.acquire('outbox', 'replica-a', 30_000, at(51))).toBe(true);
    await db.close();
  });

  it('hands a released lease on at once', async () => {
    const db = await open();
    const leases = createLeaseRepository(db);
    await leases.acquire('retention', 'replica-a', 30_000, at(0));
    await leases.release('retention', 'replica-b');
    expect(await leases.acquire('retention', 'replica-b', 30_000, at(1))).toBe(false);
    await leases.release('retention', 'replica-a');
    expect(await leases.acquire('retention', 'replica-b', 30_000, at(1))).toBe(true);
    // A replica shutting down gives up all its leases in one go.
    await leases.acquire('spool', 'replica-b', 30_000, at(1));
    await leases.acquire('outbox', 'replica-c', 30_000, at(1));
    await leases.releaseAll('replica-b');
    expect(await leases.acquire('retention', 'replica-a', 30_000, at(2))).toBe(true);
    expect(await leases.acquire('spool', 'replica-a', 30_000, at(2))).toBe(true);
    expect(await leases.acquire('outbox', 'replica-a', 30_000, at(2))).toBe(false);
    await db.close();
  });

  it('gives a free lease to exactly one of many replicas asking at the same moment', async () => {
    // Each replica its own connection(s): on PostgreSQL these race on separate sessions.
    // Each replica its own connection pool: on PostgreSQL these race on separate sessions.
    const replicas = await replicasOf(await open(), 8);
    const wins = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        createLeaseRepository(replicas[i % replicas.length] as SqlDatabase).acquire(
          'spool',
          `replica-${i}`,
          30_000,
          at(0),
        ),
      ),
    );
    expect(wins.filter(Boolean)).toHaveLength(1);
    await Promise.all([...new Set(replicas)].map((db) => db.close()));
  });
});
