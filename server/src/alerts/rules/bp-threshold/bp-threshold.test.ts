import { beforeEach, describe, expect, it } from 'vitest';
import type { Observation } from '@wardline/protocol';
import { OBS_TOPIC } from '../../../testing.js';
import { alertTestbed, bp, obsBatch } from '../../testing.js';

const MIN = 60_000;
const P1 = 'ward-a-p001';

describe('bp-threshold rule', () => {
  let bed: Awaited<ReturnType<typeof alertTestbed>>;
  const send = (...obs: Observation[]) => bed.send(OBS_TOPIC, obsBatch(bed.clock.now, ...obs));
  const conditions = async () => (await bed.unresolved(P1)).map((a) => a.condition);

  beforeEach(async () => {
    bed = await alertTestbed();
  });

  it('raises no BP alert on loose-cuff high readings, but prompts a repeat; a reliable repeat clears the prompt', async () => {
    const loose = (at: Date) => ({ ...bp(196, 104, 72, at), quality: ['cuff_too_loose'] }) as Observation;
    await send(loose(bed.clock.now));
    bed.advance(2 * MIN);
    await send(loose(bed.clock.now));
    expect(await conditions()).toEqual(['reading_unreliable']);
    const [prompt] = await bed.unresolved(P1);
    expect(prompt).toMatchObject({ priority: 'low', title: 'Repeat this reading' });
    expect(prompt!.message).toContain('blood pressure (cuff too loose)');
    bed.advance(2 * MIN);
    await send(bp(132, 84, 70, bed.clock.now));
    expect(await conditions()).toEqual([]);
  });

  it('does not count an unreliable high reading towards confirming a reliable one', async () => {
    await send({ ...bp(190, 100, 70, bed.clock.now), quality: ['body_movement'] } as Observation);
    bed.advance(2 * MIN);
    await send(bp(188, 100, 70, bed.clock.now));
    expect(await conditions()).not.toContain('bp_high');
    bed.advance(2 * MIN);
    await send(bp(186, 98, 70, bed.clock.now));
    expect(await conditions()).toContain('bp_high');
  });

  it('raises one alert on two high readings a minute or more apart', async () => {
    await send(bp(186, 100, 70, bed.clock.now));
    bed.advance(30_000);
    await send(bp(188, 100, 70, bed.clock.now));
    expect(await conditions()).toEqual([]);
    bed.advance(30_000);
    await send(bp(184, 96, 70, bed.clock.now));
    bed.advance(MIN);
    await send(bp(190, 96, 70, bed.clock.now));
    const alerts = await bed.unresolved(P1);
    expect(alerts.map((a) => a.condition)).toEqual(['bp_high']);
    expect(alerts[0]!.occurrences).toBe(1);
  });

  it('alerts on a single severe reading when a clinician sets confirmReadings to 1', async () => {
    await bed.ctx.alerting.thresholds.update(
      P1,
      { confirmReadings: 1 },
      'charge',
      'alert at once',
      bed.clock.now.toISOString(),
    );
    await send(bp(192, 100, 70, bed.clock.now));
    expect(await conditions()).toEqual(['bp_high']);
  });

  it('counts every reading towards confirming, also readings that share a time stamp', async () => {
    // Six high readings, two of them taken at the same instant; all six are needed to confirm, so
    // skipping either of the pair (where one page of readings ends and the next begins) would
    // leave the breach unconfirmed.
    await bed.ctx.alerting.thresholds.update(
      P1,
      { confirmReadings: 6 },
      'charge',
      'confirm on six',
      bed.clock.now.toISOString(),
    );
    const start = bed.clock.now.getTime();
    const at = (minutes: number) => new Date(start + minutes * MIN);
    for (const minutes of [0, 1, 1, 2, 3, 4]) await send(bp(186, 100, 70, at(minutes)));
    expect(await conditions()).toEqual(['bp_high']);
  });

  const oscillate = async (target: typeof bed) => {
    // First half hour: two readings above, two below, every 5 s; second: 3 minutes above, 3 below.
    for (let i = 0; i < 720; i++) {
      const high = i < 360 ? i % 4 < 2 : Math.floor(i / 36) % 2 === 0;
      await target.send(
        OBS_TOPIC,
        obsBatch(
          target.clock.now,
          high ? bp(182, 100, 70, target.clock.now) : bp(166, 100, 70, target.clock.now),
        ),
      );
      target.advance(5000);
    }
    return (await target.ctx.alerting.store.list({ limit: 100, patientId: P1, condition: 'bp_high' })).length;
  };

  it('raises at most one alert for readings oscillating around the threshold every 5 s for an hour', async () => {
    expect(await oscillate(bed)).toBe(1);
    // Without flapping control (the old two-readings debounce) the same hour opens and closes again and again.
    expect(
      await oscillate(await alertTestbed({ config: { bpConfirmMs: 0, thresholdResolveMs: 0 } })),
    ).toBeGreaterThan(20);
    // A sustained run then a stable return: one alert, resolved only after 30 minutes in range.
    for (let i = 0; i < 24; i++) {
      await send(bp(184, 100, 70, bed.clock.now));
      bed.advance(5000);
    }
    expect(await conditions()).toEqual(['bp_high']);
    for (let i = 0; i < 12 * 29; i++) {
      await send(bp(150, 80, 70, bed.clock.now));
      bed.advance(5000);
    }
    expect(await conditions()).toEqual(['bp_high']);
    for (let i = 0; i < 24; i++) {
      await send(bp(150, 80, 70, bed.clock.now));
      bed.advance(5000);
    }
    expect(await conditions()).toEqual([]);
    expect(
      await bed.ctx.alerting.store.list({ limit: 100, patientId: P1, condition: 'bp_high' }),
    ).toHaveLength(1);
  });
});
