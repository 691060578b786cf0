/**
 * Two server replicas on the same records (two alert engines, each with its own lease identity):
 * escalations happen once, and when the replica that leads them stops, the other takes them over.
 */
import { describe, expect, it } from 'vitest';
import { createLeaseRepository } from '../db/leases.js';
import { OBS_TOPIC } from '../testing.js';
import { defaultAlertingConfig } from './config.js';
import { createAlerting } from './engine.js';
import { alertTestbed, obsBatch, reading } from './testing.js';

const MIN = 60_000;
const P1 = 'ward-a-p001';
const FALLS = 'aa:00:00:00:01:01';

describe('alert escalation across replicas', () => {
  it('escalates once whichever replicas tick, and moves to another replica when the leader dies', async () => {
    const bed = await alertTestbed();
    const leases = createLeaseRepository(bed.ctx.sql);
    const engine = (holder: string) =>
      createAlerting({
        sql: bed.ctx.sql,
        config: defaultAlertingConfig(),
        now: () => new Date(bed.clock.now),
        leads: (job, lengthMs) => leases.acquire(job, holder, lengthMs, new Date(bed.clock.now)),
      });
    const [a, b] = [engine('replica-a'), engine('replica-b')];
    await bed.send(OBS_TOPIC, obsBatch(bed.clock.now, reading('fall', {}, bed.clock.now, FALLS)));
    const [alert] = await bed.unresolved(P1);
    const escalations = async () =>
      (await bed.ctx.alerting.store.transitions(alert!.id)).filter((t) => t.type === 'escalated').length;

    await a.tick(); // A takes the lease: 3 ticks (45 s) long
    bed.advance(4.5 * MIN);
    await a.tick(); // nothing due yet; A renews its lease until 5:15
    bed.advance(40_000);
    // The escalation is due at 5:00, but B does not lead: it leaves it to A.
    await b.tick();
    expect(await escalations()).toBe(0);
    await a.tick();
    await b.tick();
    await a.tick();
    expect(await escalations()).toBe(1);

    // A dies without a word; only B ticks. Its lease lapses 45 s after A's last tick, and B takes
    // the next escalation (level 3) and the long-lie check at 10 minutes.
    bed.advance(5 * MIN);
    await b.tick();
    expect((await bed.unresolved(P1))[0]).toMatchObject({ level: 3 });
    const afterB = await escalations();
    expect(afterB).toBeGreaterThan(1);
    // A comes back from a long pause: it no longer leads, so nothing is escalated twice.
    await a.tick();
    await b.tick();
    expect(await escalations()).toBe(afterB);
  });
});
