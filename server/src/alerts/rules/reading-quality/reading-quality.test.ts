import { beforeEach, describe, expect, it } from 'vitest';
import type { Observation } from '@wardline/protocol';
import { OBS_TOPIC } from '../../../testing.js';
import { alertTestbed, bp, obsBatch, reading } from '../../testing.js';

const MIN = 60_000;
const P1 = 'ward-a-p001';

describe('reading-quality rule', () => {
  let bed: Awaited<ReturnType<typeof alertTestbed>>;
  const send = (...obs: Observation[]) => bed.send(OBS_TOPIC, obsBatch(bed.clock.now, ...obs));
  const flagged = (o: Observation, ...quality: string[]) => ({ ...o, quality }) as Observation;

  beforeEach(async () => {
    bed = await alertTestbed();
  });

  it('prompts a check for atrial fibrillation on an irregular pulse, and leaves it for a nurse to resolve', async () => {
    await send(flagged(bp(132, 84, 88, bed.clock.now), 'irregular_pulse'));
    const [prompt] = await bed.unresolved(P1);
    expect(prompt).toMatchObject({
      condition: 'irregular_pulse',
      priority: 'low',
      title: 'Irregular pulse: check for atrial fibrillation',
    });
    bed.advance(10 * MIN);
    await send(bp(130, 82, 76, bed.clock.now));
    bed.advance(10 * MIN);
    await send(flagged(bp(134, 84, 90, bed.clock.now), 'irregular_pulse'));
    expect((await bed.unresolved(P1)).map((a) => [a.condition, a.occurrences])).toEqual([
      ['irregular_pulse', 2],
    ]);
    expect(await bed.ctx.alerting.resolve(prompt!.id, 'nurse', 'Manual pulse irregular, ECG booked')).toBe(
      true,
    );
    expect(await bed.unresolved(P1)).toEqual([]);
  });

  it('an irregular pulse alone does not make the pressure unreliable: a confirmed severe reading still alerts', async () => {
    await send(flagged(bp(186, 100, 88, bed.clock.now), 'irregular_pulse'));
    bed.advance(2 * MIN);
    await send(flagged(bp(188, 100, 90, bed.clock.now), 'irregular_pulse'));
    expect((await bed.unresolved(P1)).map((a) => a.condition).sort()).toEqual(['bp_high', 'irregular_pulse']);
  });

  it('neither scores NEWS2 from nor clears NEWS2 with an unreliable reading; one prompt names each kind to repeat', async () => {
    await send(bp(88, 52, 128, bed.clock.now)); // NEWS2 5: systolic 3, pulse 2
    expect((await bed.unresolved(P1)).map((a) => a.condition)).toEqual(['news2']);
    bed.advance(MIN);
    // A normal-looking pressure taken with movement must not close a NEWS2 alert.
    await send(flagged(bp(124, 78, 72, bed.clock.now), 'body_movement'));
    await send(flagged(reading('spo2', { spo2: { value: 84, unit: '%' } }, bed.clock.now), 'low_perfusion'));
    const open = await bed.unresolved(P1);
    expect(open.map((a) => a.condition).sort()).toEqual(['news2', 'reading_unreliable']);
    expect(open.find((a) => a.condition === 'news2')!.title).toBe('NEWS2 5: medium risk');
    expect((await bed.ctx.alerting.news2(P1)).parameters.find((p) => p.parameter === 'systolic')?.value).toBe(
      88,
    );
    const prompt = open.find((a) => a.condition === 'reading_unreliable')!;
    expect(prompt.message).toContain('blood pressure (body movement)');
    expect(prompt.message).toContain('SpO2 (low perfusion)');
    // A reliable repeat of one kind leaves the prompt for the other.
    bed.advance(MIN);
    await send(reading('spo2', { spo2: { value: 97, unit: '%' } }, bed.clock.now));
    const still = (await bed.unresolved(P1)).find((a) => a.condition === 'reading_unreliable')!;
    expect(still.message).not.toContain('SpO2');
    await send(bp(126, 80, 74, bed.clock.now));
    expect((await bed.unresolved(P1)).map((a) => a.condition)).not.toContain('reading_unreliable');
  });
});
