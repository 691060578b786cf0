/**
 * A 24-hour virtual ward of 50 residents on a simulated clock, through the production ingest and
 * alert engine (the same code MQTT messages go through), with a simulated nurse who acknowledges
 * within minutes. Reports alerts per patient-day, and checks every scripted event was alerted.
 */
import { describe, expect, it } from 'vitest';
import { Channel, gatewayTopic, type Alert } from '@wardline/protocol';
import { cohortEvents, cohortResidents, type CohortOptions } from '@wardline/firmware-sim';
import type { SeedWard } from '../demo/seed.js';
import { alertTestbed } from './testing.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const TICK = 5 * MINUTE;
const base: CohortOptions = {
  residents: 50,
  seed: 2026,
  durationMs: 24 * HOUR,
  bpIntervalMs: 6 * HOUR,
  heartbeatMs: 5 * MINUTE,
};
// With and without flapping control (0 and 0: the earlier two-consecutive-readings debounce), on
// the virtual ward's six-hourly cuff and on a 15-minute one, where readings near a threshold repeat.
// The suite runs the first; WARDLINE_COHORT_COMPARE=1 runs all three for the report.
const runs = [
  { label: '6-hourly cuff, flapping control', bpIntervalMs: 6 * HOUR, flapControl: true },
  { label: '15-minute cuff, flapping control', bpIntervalMs: 15 * MINUTE, flapControl: true },
  { label: '15-minute cuff, no flapping control', bpIntervalMs: 15 * MINUTE, flapControl: false },
].slice(0, process.env.WARDLINE_COHORT_COMPARE === '1' ? 3 : 1);
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
        alerting.thresholds.update(
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
            bed.send(gatewayTopic(address, Channel.observations), {
              v: 1,
              sentAt: bed.clock.now.toISOString(),
              observations: [e.observation],
            });
          } else {
            const { battery, ...status } = e.status;
            bed.send(gatewayTopic(address, Channel.devices), {
              v: 1,
              devices: [
                { ...status, ...(battery !== undefined ? { battery: { value: battery, unit: '%' } } : {}) },
              ],
            });
          }
        }
        bed.clock.now = new Date(start + t + 30_000);
        alerting.tick();
        // The simulated nurse: acknowledges within 3 minutes; closes falls and help calls after 20.
        for (const a of bed.unresolved()) {
          const age = bed.clock.now.getTime() - Date.parse(a.openedAt);
          if (a.state === 'open' && age >= 3 * MINUTE) alerting.acknowledge(a.id, 'sim-nurse', null);
          if ((a.condition === 'fall' || a.condition === 'help_request') && age >= 20 * MINUTE)
            alerting.resolve(a.id, 'sim-nurse', 'Visited, no injury');
        }
      }
      const simulatedIn = Date.now() - wall;

      const all: Alert[] = alerting.store.list({ limit: 10_000 }).map((r) => alerting.toAlert(r));
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
      const notifications = bed.ctx.db.prepare(`SELECT count(*) AS n FROM notifications`).get() as {
        n: number;
      };
      console.log(
        [
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
          const fall = alerts.find((a) => a.condition === 'fall');
          expect(fall?.triggerMeasuredAt, `resident ${r.number} fall`).toBe(
            new Date(start + r.fallAtMs!).toISOString(),
          );
          expect(Date.parse(fall!.openedAt) - (start + r.fallAtMs!)).toBeLessThanOrEqual(TICK);
          expect(alerts.some((a) => a.condition === 'help_request')).toBe(true);
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
      }
    },
  );
});
