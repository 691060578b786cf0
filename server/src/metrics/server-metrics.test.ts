import { describe, expect, it } from 'vitest';
import { alertTestbed, bp, obsBatch, reading } from '../alerts/testing.js';
import { OBS_TOPIC } from '../testing.js';
import { createServerMetrics } from './server-metrics.js';

const MIN = 60_000;
const P1 = 'ward-a-p001';
const FALLS = 'aa:00:00:00:01:01';

/** One sample of a counter or gauge as /metrics would show it, or undefined. */
async function sample(metrics: ReturnType<typeof createServerMetrics>, name: string, labels: object) {
  const found = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return found?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

describe('server metrics', () => {
  it('count each alert transition once, by condition and priority, as the engine commits it', async () => {
    const bed = await alertTestbed();
    const metrics = bed.ctx.serverMetrics;
    const send = (...obs: Parameters<typeof obsBatch>[1][]) =>
      bed.send(OBS_TOPIC, obsBatch(bed.clock.now, ...obs));
    const ago = (ms: number) => new Date(bed.clock.now.getTime() - ms);
    const fall = { condition: 'fall', priority: 'critical' };

    await send(reading('fall', {}, ago(1000), FALLS));
    await send(reading('fall', {}, ago(500), FALLS)); // a repeat recurs on the open alert: not a new one
    expect(await sample(metrics, 'wardline_alerts_raised_total', fall)).toBe(1);

    bed.advance(5 * MIN);
    await bed.ctx.alerting.tick();
    await bed.ctx.alerting.tick(); // the same instant again escalates nothing more
    bed.advance(5 * MIN);
    await bed.ctx.alerting.tick();
    // Two on the timer (5 and 10 min), and the long lie at 10 min unacknowledged (falls-incident).
    expect(await sample(metrics, 'wardline_alerts_escalated_total', fall)).toBe(3);

    const [alert] = await bed.unresolved(P1);
    expect(await bed.ctx.alerting.acknowledge(alert!.id, 'nurse', null)).toBe(true);
    expect(await bed.ctx.alerting.acknowledge(alert!.id, 'nurse', null)).toBe(false);
    expect(await bed.ctx.alerting.resolve(alert!.id, 'nurse', 'checked')).toBe(true);
    expect(await sample(metrics, 'wardline_alerts_acknowledged_total', fall)).toBe(1);
    expect(await sample(metrics, 'wardline_alerts_resolved_total', fall)).toBe(1);

    // Two high readings raise a medium alert; readings back in range for 30 min resolve it by themselves.
    await send(
      bp(182, 95, 70, ago(2 * MIN), 'aa:00:00:00:00:01'),
      bp(185, 96, 70, ago(MIN), 'aa:00:00:00:00:01'),
    );
    const bpHigh = { condition: 'bp_high', priority: 'medium' };
    expect(await sample(metrics, 'wardline_alerts_raised_total', bpHigh)).toBe(1);
    await send(bp(120, 80, 70, ago(30_000), 'aa:00:00:00:00:01'));
    bed.advance(31 * MIN);
    await send(bp(118, 78, 70, ago(10_000), 'aa:00:00:00:00:01'));
    expect(await sample(metrics, 'wardline_alerts_resolved_total', bpHigh)).toBe(1);
  });

  it('time a fall from its receipt to the push to staff, and nothing else', async () => {
    const metrics = createServerMetrics();
    const receivedAt = Date.parse('2026-11-29T12:00:00.000Z');
    const alert = (over: object) =>
      ({
        condition: 'fall',
        limited: false,
        updatedAt: new Date(receivedAt).toISOString(),
        ...over,
      }) as never;
    metrics.alertPushed({ type: 'opened', alert: alert({}) }, receivedAt + 120);
    metrics.alertPushed({ type: 'recurred', alert: alert({}) }, receivedAt + 40);
    metrics.alertPushed({ type: 'opened', alert: alert({ limited: true }) }, receivedAt + 5_000); // family copy
    metrics.alertPushed({ type: 'acknowledged', alert: alert({}) }, receivedAt + 60_000);
    metrics.alertPushed({ type: 'opened', alert: alert({ condition: 'news2' }) }, receivedAt + 60_000);
    const text = await metrics.registry.metrics();
    expect(text).toContain('wardline_fall_to_push_seconds_count 2');
    expect(text).toMatch(/wardline_fall_to_push_seconds_sum 0\.16\d*\n/);
    expect(text).toContain('wardline_fall_to_push_seconds_bucket{le="0.05"} 1');
    expect(text).toContain('wardline_fall_to_push_seconds_bucket{le="0.2"} 2');
  });
});
