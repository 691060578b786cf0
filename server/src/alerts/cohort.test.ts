/**
 * A 24-hour virtual ward of 50 residents on a simulated clock, through the production ingest and
 * alert engine (the same code MQTT messages go through), with a simulated nurse who acknowledges
 * within minutes. Reports alerts per patient-day, and checks every scripted event was alerted.
 */
import { describe, expect, it } from 'vitest';
import { Channel, gatewayTopic, type Alert } from '@wardline/protocol';
import { cohortEvents, cohortResidents, type CohortOptions } from '@wardline/firmware-sim';
import type { SeedWard } from '../demo/seed.js';
import { testDatabaseEngine } from '../testing-database.js';
import { alertTestbed } from './testing.js';

const MINUTE = 60_000;
const INCIDENT = new Set(['fall', 'help_request', 'no_movement']);
const HOUR = 60 * MINUTE;
const TICK = 5 * MINUTE;
const base: CohortOptions = {
  residents: 50,
  seed: 2026,
  durationMs: 24 * HOUR,
  bpIntervalMs: 6 * HOUR,
  heartbeatMs: 5 * MINUTE,
  // Five more residents whose systolic hovers around the severe threshold of 180 (166-194 mmHg).
  borderline: 5,
};
// With and without flapping control (0 and 0: the earlier two-consecutive-readings debounce), on
// the virtual ward's six-hourly cuff and on a 15-minute one, where readings near a threshold repeat.
// All three run in the suite (about 10 s): the borderline residents show what flapping control does.
const runs = [
  { label: '6-hourly cuff, flapping control', bpIntervalMs: 6 * HOUR, flapControl: true },
  { label: '15-minute cuff, flapping control', bpIntervalMs: 15 * MINUTE, flapControl: true },
  { label: '15-minute cuff, no flapping control', bpIntervalMs: 15 * MINUTE, flapControl: false },
];
// One transaction per message, one after another, as a single gateway's messages go: about 15,000 of
// them. On PostgreSQL each costs its round trips (about 2.3 ms here, 35 s a run), not what the
// grouped production path costs per reading.
const RUN_TIMEOUT_MS = testDatabaseEngine() === 'postgres' ? 150_000 : 30_000;
const home = (n: number) => `home-${String(n).padStart(2, '0')}`;
const patientOf = (n: number) => `cohort-p${String(n).padStart(3, '0')}`;

describe('24-hour cohort simulation', () => {
  it.each(runs)(
    '$label: alerts every scripted deterioration, fall and drop-out, and reports alerts per patient-day',
    async (run) => {
      const options: CohortOptions = { ...base, bpIntervalMs: run.bpIntervalMs };
      const residents = cohortResidents(options);
      const fleet: SeedWard[] = [
        {
          id: 'cohort',
          name: 'Cohort virtual ward',
          kind: 'virtual_ward',
          site: 'cohort',
          gateways: residents.map((r) => ({
            site: 'cohort',
            gateway: home(r.number),
            residents: [
              {
                number: r.number,
                devices: [
                  { id: r.cuffId, model: 'bp-cuff' },
                  { id: r.fallsSensorId, model: 'falls-sensor' },
                ],
              },
            ],
          })),
        },
      ];
      const bed = await alertTestbed({
        fleet,
        ...(run.flapControl ? {} : { config: { bpConfirmMs: 0, thresholdResolveMs: 0 } }),
      });
      const { alerting } = bed.ctx;
      const start = bed.clock.now.getTime();
      for (const r of residents) {
        // Six-hourly observations while on the virtual ward.
        await alerting.thresholds.update(
          patientOf(r.number),
          { bpReadingsPerDay: Math.round((24 * HOUR) / options.bpIntervalMs) },
          'sim',
          'cohort schedule',
          bed.clock.now.toISOString(),
        );
      }
      const events = cohortEvents(residents, options, start);
      const wall = Date.now();
      let next = 0;
      for (let t = 0; t <= options.durationMs; t += TICK) {
        while (next < events.length && events[next]!.atMs <= t) {
          const e = events[next++]!;
          bed.clock.now = new Date(start + e.atMs + 20_000); // in transit for 20 s
          const address = { site: 'cohort', gateway: home(e.resident) };
          if (e.type === 'observation') {
            await bed.send(gatewayTopic(address, Channel.observations), {
              v: 1,
              sentAt: bed.clock.now.toISOString(),
              observations: [e.observation],
            });
          } else {
            const { battery, ...status } = e.status;
            await bed.send(gatewayTopic(address, Channel.devices), {
              v: 1,
              devices: [
                { ...status, ...(battery !== undefined ? { battery: { value: battery, unit: '%' } } : {}) },
              ],
            });
          }
        }
        bed.clock.now = new Date(start + t + 30_000);
        await alerting.tick();
        // The simulated nurse: acknowledges within 3 minutes; closes falls incidents after 20 and
        // post-fall prompts after 10 (observations taken on paper).
        for (const a of await bed.unresolved()) {
          const age = bed.clock.now.getTime() - Date.parse(a.openedAt);
          if (a.state === 'open' && age >= 3 * MINUTE) await alerting.acknowledge(a.id, 'sim-nurse', null);
          if (INCIDENT.has(a.condition) && age >= 20 * MINUTE)
            await alerting.resolve(a.id, 'sim-nurse', 'Visited, no injury');
          if (a.condition === 'post_fall_obs' && age >= 10 * MINUTE)
            await alerting.resolve(a.id, 'sim-nurse', 'Observations recorded on paper');
        }
      }
      const simulatedIn = Date.now() - wall;

      const all: Alert[] = (await alerting.store.list({ limit: 10_000 })).map((r) => alerting.toAlert(r));
      const of = (n: number) => all.filter((a) => a.patientId === patientOf(n));
      const byScenario = new Map<
        string,
        { patients: number; alerts: number; conditions: Record<string, number> }
      >();
      for (const r of residents) {
        const entry = byScenario.get(r.scenario) ?? { patients: 0, alerts: 0, conditions: {} };
        entry.patients++;
        for (const a of of(r.number)) {
          entry.alerts++;
          entry.conditions[a.condition] = (entry.conditions[a.condition] ?? 0) + 1;
        }
        byScenario.set(r.scenario, entry);
      }
      const patientDays = (residents.length * options.durationMs) / (24 * HOUR);
      const lines = [...byScenario].map(
        ([scenario, e]) =>
          `  ${scenario.padEnd(13)} ${String(e.patients).padStart(2)} patients  ${(e.alerts / e.patients).toFixed(2)} alerts/patient-day  ${JSON.stringify(e.conditions)}`,
      );
      const notifications = (await bed.ctx.sql.get<{ n: number }>(
        `SELECT count(*) AS n FROM notifications`,
      ))!;
      const fallen = residents.filter((r) => r.scenario === 'fall' && r.fallAtMs! < options.durationMs);
      const incidentsOf = (n: number) => of(n).filter((a) => INCIDENT.has(a.condition));
      const split = fallen.filter((r) => incidentsOf(r.number).length > 1).length;
      const longLies = fallen.filter((r) =>
        incidentsOf(r.number).some((a) => a.title === 'Long lie suspected'),
      );
      const borderline = residents.filter((r) => r.scenario === 'borderline');
      const bpHighOf = (n: number) => of(n).filter((a) => a.condition === 'bp_high').length;
      console.log(
        [
          `cohort (${run.label}): falls ${fallen.length}, incidents ${fallen.reduce((n, r) => n + incidentsOf(r.number).length, 0)}, split in two ${split}, long lies ${longLies.length}`,
          `cohort (${run.label}): borderline residents' bp_high alerts in 24 h: ${borderline.map((r) => bpHighOf(r.number)).join(', ')}`,
          `cohort (${run.label}): ${residents.length} patients x 24 h simulated in ${simulatedIn} ms, ${events.length} messages`,
          `cohort: ${all.length} alerts = ${(all.length / patientDays).toFixed(2)} alerts per patient-day; ${notifications.n} notifications queued`,
          ...lines,
        ].join('\n'),
      );

      for (const r of residents) {
        const alerts = of(r.number);
        if (r.scenario === 'deteriorating') {
          // The script reaches shock (about 84/50 mmHg, pulse 128) at deteriorationMs: alerted by the next reading.
          const deadline = start + r.deteriorationMs! + options.bpIntervalMs + TICK;
          const news2 = alerts.find((a) => a.condition === 'news2');
          expect(news2, `resident ${r.number} deterioration`).toBeDefined();
          expect(Date.parse(news2!.openedAt)).toBeLessThanOrEqual(deadline);
          expect(['high', 'critical']).toContain(news2!.priority);
        }
        if (r.scenario === 'fall' && r.fallAtMs! < options.durationMs) {
          // One incident per fall, whatever follows it: never split in two.
          const incidents = alerts.filter((a) => INCIDENT.has(a.condition));
          expect(incidents, `resident ${r.number} fall: one incident`).toHaveLength(1);
          const fall = incidents[0]!;
          expect(fall.condition).toBe('fall');
          expect(fall.triggerMeasuredAt, `resident ${r.number} fall`).toBe(
            new Date(start + r.fallAtMs!).toISOString(),
          );
          expect(Date.parse(fall.openedAt) - (start + r.fallAtMs!)).toBeLessThanOrEqual(TICK);
          const kinds = ((fall.detail as { events: { kind: string }[] }).events ?? []).map((e) => e.kind);
          if (r.fallAftermath === 'helped_up') expect(kinds).toEqual(['fall', 'help_request', 'upright']);
          if (r.fallAftermath === 'got_up') expect(kinds).toEqual(['fall', 'upright']);
          if (r.fallAftermath === 'long_lie') {
            expect(kinds).toEqual(['fall', 'no_movement']);
            expect(fall.title).toBe('Long lie suspected');
            expect(fall.level).toBe(alerting.config.levels.length);
          }
          expect(alerts.some((a) => a.condition === 'post_fall_obs')).toBe(true);
        }
        if (r.scenario === 'dropout') {
          const silent = alerts.find((a) => a.condition === 'device_silent');
          expect(silent, `resident ${r.number} drop-out`).toBeDefined();
          expect(Date.parse(silent!.openedAt) - (start + r.dropoutAtMs!)).toBeLessThanOrEqual(
            alerting.config.deviceSilentMs + options.heartbeatMs + TICK,
          );
          if (
            r.dropoutAtMs! + options.bpIntervalMs * 1.5 + alerting.config.readingGraceMs <
            options.durationMs - TICK
          )
            expect(alerts.some((a) => a.condition === 'reading_overdue')).toBe(true);
        }
        if (r.scenario === 'normal') {
          expect(
            alerts.map((a) => a.condition),
            `resident ${r.number} (normal)`,
          ).toEqual([]);
        }
        if (r.scenario === 'borderline') {
          // Only blood pressure, and never low.
          expect(new Set(alerts.map((a) => a.condition)), `resident ${r.number} (borderline)`).toEqual(
            new Set(bpHighOf(r.number) > 0 ? ['bp_high'] : []),
          );
        }
      }
      // Hovering at the threshold: with flapping control, one bp_high alert a day at most, still
      // raised on the 15-minute cuff; without it, the alert clears and reopens (the bound breaks).
      const bpHigh = borderline.map((r) => bpHighOf(r.number));
      if (run.flapControl) {
        expect(Math.max(...bpHigh), `borderline bp_high alerts ${bpHigh.join(', ')}`).toBeLessThanOrEqual(1);
        if (options.bpIntervalMs <= 15 * MINUTE) expect(Math.min(...bpHigh)).toBe(1);
      } else {
        expect(Math.max(...bpHigh), `borderline bp_high alerts ${bpHigh.join(', ')}`).toBeGreaterThan(1);
      }
    },
    RUN_TIMEOUT_MS,
  );
});
