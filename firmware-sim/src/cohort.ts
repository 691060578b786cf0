/**
 * A deterministic virtual-ward cohort for simulations on a simulated clock: residents with
 * scenarios (firmware-sim's normal, hypertensive, deteriorating and fall, plus device drop-outs),
 * producing the contract's observations and device statuses in time order. Nothing here runs on
 * timers: the caller steps through `events()` at whatever speed it likes.
 */
import { randomUUID } from 'node:crypto';
import { defaultDeviceId } from './simulated-home.js';
import { Rng, mixSeed } from './prng.js';
import { createScenario, type Scenario, type ScenarioName } from './scenarios.js';

export type CohortScenario = ScenarioName | 'dropout';

export interface CohortResident {
  number: number;
  scenario: CohortScenario;
  cuffId: string;
  fallsSensorId: string;
  /** deteriorating: scenario time at which the noise-free vitals reach the danger zone. */
  deteriorationMs?: number;
  /** fall: time of the fall (and a help press 2 min later). */
  fallAtMs?: number;
  /** dropout: time after which the resident's devices are silent. */
  dropoutAtMs?: number;
}

export interface CohortOptions {
  residents: number;
  seed: number;
  /** Mix by share of residents, in this order. */
  mix?: Partial<Record<CohortScenario, number>>;
  durationMs: number;
  bpIntervalMs: number;
  /** Falls sensors report their status (with lastSeen) this often. */
  heartbeatMs: number;
}

export type CohortEvent =
  | { atMs: number; type: 'observation'; resident: number; observation: Record<string, unknown> }
  | {
      atMs: number;
      type: 'status';
      resident: number;
      status: { deviceId: string; connected: boolean; lastSeen?: string; battery?: number };
    };

const MINUTE = 60_000;
const DEFAULT_MIX: Record<CohortScenario, number> = {
  normal: 0.4,
  hypertensive: 0.2,
  deteriorating: 0.16,
  fall: 0.14,
  dropout: 0.1,
};

export function cohortResidents(options: CohortOptions): CohortResident[] {
  const mix = { ...DEFAULT_MIX, ...options.mix };
  const rng = new Rng(mixSeed(options.seed, 0xc0));
  const order = Object.keys(mix) as CohortScenario[];
  const counts = order.map((s) => Math.round(mix[s] * options.residents));
  const scenarios = order.flatMap((s, i) => Array.from({ length: counts[i] ?? 0 }, () => s));
  while (scenarios.length < options.residents) scenarios.push('normal');
  scenarios.length = options.residents;
  return scenarios.map((scenario, i) => {
    const number = i + 1;
    const r: CohortResident = {
      number,
      scenario,
      cuffId: defaultDeviceId('bp-cuff', number),
      fallsSensorId: defaultDeviceId('falls-sensor', number),
    };
    // Scripted moments in the middle of the day, so each is inside the simulated window.
    if (scenario === 'deteriorating') r.deteriorationMs = rng.range(8, 18) * 60 * MINUTE;
    if (scenario === 'fall') r.fallAtMs = Math.round(rng.range(1, 22) * 60 * MINUTE);
    if (scenario === 'dropout') r.dropoutAtMs = Math.round(rng.range(2, 20) * 60 * MINUTE);
    return r;
  });
}

/** Every observation and status of the cohort, in time order, with measurement times from `startMs`. */
export function cohortEvents(
  residents: CohortResident[],
  options: CohortOptions,
  startMs: number,
): CohortEvent[] {
  const events: CohortEvent[] = [];
  const iso = (ms: number) => new Date(startMs + ms).toISOString();
  let seq = 0;
  const q = (value: number, unit: string) => ({ value, unit });
  for (const r of residents) {
    const rng = new Rng(mixSeed(options.seed, r.number));
    const scenario: Scenario = createScenario(r.scenario === 'dropout' ? 'normal' : r.scenario, {
      ...(r.deteriorationMs !== undefined ? { deteriorationMs: r.deteriorationMs } : {}),
      ...(r.fallAtMs !== undefined ? { fallAtMs: r.fallAtMs } : {}),
    });
    const alive = (t: number) => r.dropoutAtMs === undefined || t < r.dropoutAtMs;
    // Readings at a per-resident offset within the interval, as people take them at different times.
    const offset = Math.round(rng.range(0, options.bpIntervalMs / 2));
    for (let t = offset; t < options.durationMs; t += options.bpIntervalMs) {
      if (!alive(t)) break;
      const v = scenario.vitals(t, rng);
      events.push({
        atMs: t,
        type: 'observation',
        resident: r.number,
        observation: {
          id: randomUUID(),
          deviceId: r.cuffId,
          kind: 'blood_pressure',
          measuredAt: iso(t),
          seq: seq++,
          values: {
            systolic: q(v.systolic, 'mmHg'),
            diastolic: q(v.diastolic, 'mmHg'),
            meanArterial: q(v.meanArterial, 'mmHg'),
            pulseRate: q(v.pulseRate, 'bpm'),
          },
        },
      });
    }
    for (const e of scenario.events) {
      if (e.atMs >= options.durationMs || !alive(e.atMs)) continue;
      events.push({
        atMs: e.atMs,
        type: 'observation',
        resident: r.number,
        observation: {
          id: randomUUID(),
          deviceId: r.fallsSensorId,
          kind: e.type === 'fall' ? 'fall' : 'help_request',
          measuredAt: iso(e.atMs),
          seq: seq++,
          values: e.type === 'fall' ? { confidence: q(e.confidence ?? 90, '%') } : {},
        },
      });
    }
    const battery = rng.int(40, 100);
    for (let t = 0; t < options.durationMs; t += options.heartbeatMs) {
      if (!alive(t)) break;
      events.push({
        atMs: t,
        type: 'status',
        resident: r.number,
        status: { deviceId: r.fallsSensorId, connected: true, lastSeen: iso(t), battery },
      });
    }
  }
  return events.sort((a, b) => a.atMs - b.atMs || a.resident - b.resident);
}
