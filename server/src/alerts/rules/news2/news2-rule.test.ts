import { beforeEach, describe, expect, it } from 'vitest';
import type { Observation } from '@wardline/protocol';
import { OBS_TOPIC } from '../../../testing.js';
import { alertTestbed, bp, obsBatch, reading } from '../../testing.js';

const MIN = 60_000;
const P1 = 'ward-a-p001';

describe('news2 rule', () => {
  let bed: Awaited<ReturnType<typeof alertTestbed>>;
  const send = (...obs: Observation[]) => bed.send(OBS_TOPIC, obsBatch(bed.clock.now, ...obs));
  const news2 = async () => (await bed.unresolved(P1)).find((a) => a.condition === 'news2')!;

  beforeEach(async () => {
    bed = await alertTestbed();
  });

  it('follows the score 5 -> 6 -> 7 while open, and escalates again on the rise into the high band', async () => {
    await send(bp(88, 52, 128, bed.clock.now)); // systolic 3 + pulse 2
    const opened = await news2();
    expect(opened).toMatchObject({ title: 'NEWS2 5: medium risk', priority: 'high' });
    expect(opened.message).toMatch(/^NEWS2 5 \(systolic blood pressure 88 scores 3, pulse 128 scores 2\)\./);
    expect(opened.message).toContain('Partial score: respiration rate, SpO2, air or oxygen');
    expect(opened.message).not.toMatch(/respirationRate|airOrOxygen/);
    expect(await bed.ctx.alerting.acknowledge(opened.id, 'nurse', 'Reviewing')).toBe(true);

    bed.advance(5 * MIN);
    await send(bp(88, 52, 135, bed.clock.now)); // pulse now scores 3
    expect(await news2()).toMatchObject({
      id: opened.id,
      title: 'NEWS2 6: medium risk',
      state: 'acknowledged',
    });
    expect((await news2()).message).toMatch(/^NEWS2 6 /);

    bed.advance(5 * MIN);
    await send(reading('body_temperature', { temperature: { value: 38.5, unit: '°C' } }, bed.clock.now));
    const risen = await news2();
    // Into the high band: critical, and back to open so the escalation timer runs again.
    expect(risen).toMatchObject({
      id: opened.id,
      title: 'NEWS2 7: high risk',
      priority: 'critical',
      state: 'open',
    });
    bed.advance(bed.ctx.alerting.config.escalateAfterMs.critical! + 1000);
    await bed.ctx.alerting.tick();
    expect(await news2()).toMatchObject({ level: 2 });
    const types = (await bed.ctx.alerting.store.transitions(opened.id)).map((t) => [t.type, t.note]);
    expect(types).toEqual([
      ['opened', null],
      ['acknowledged', 'Reviewing'],
      ['updated', 'NEWS2 5: medium risk -> NEWS2 6: medium risk'],
      ['updated', 'priority high -> critical; NEWS2 6: medium risk -> NEWS2 7: high risk'],
      ['escalated', 'level 1 -> 2'],
    ]);
  });
});
