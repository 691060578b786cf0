/**
 * A deterministic virtual-ward cohort for simulations on a simulated clock: residents with
 * scenarios (firmware-sim's normal, hypertensive, deteriorating and fall, plus device drop-outs;
 * a fall followed by one of the three aftermaths a pendant reports: helped up, got up, long lie;
 * opt-in, borderline residents whose systolic pressure hovers around the severe threshold),
 * producing the contract's observations and device statuses in time order. Nothing here runs on
 * timers: the caller steps through `events()` at whatever speed it likes.
 */
import { randomUUID } from 'node:crypto';
import { defaultDeviceId } from './simulated-home.js';
import { Rng, mixSeed } from './prng.js';
import {
  createScenario,
  FALL_AFTERMATH_SHARES,
  FALL_AFTERMATHS,
  type FallAftermath,
  type Scenario,
  type ScenarioEventType,
  type ScenarioName,
  type VitalSigns,
} from './scenarios.js';

/** The scenarios the mix shares out; 'borderline' residents are counted apart (CohortOptions.borderline). */
export type CohortMixScenario = ScenarioName | 'dropout';
export type CohortScenario = CohortMixScenario | 'borderline';

export interface CohortResident {
  number: number;
  scenario: CohortScenario;
  cuffId: string;
  fallsSensorId: string;
  /** deteriorating: scenario time at which the noise-free vitals reach the danger zone. */
  deteriorationMs?: number;
  /** fall: time of the fall. */
  fallAtMs?: number;
  /**
   * fall: what follows it (firmware-sim scenarios): helped_up (help press after 1-3 min, upright
   * after 5-20), got_up (upright within 2 min, no help press), long_lie (no movement after 5 min,
   * never upright).
   */
  fallAftermath?: FallAftermath;
  /** dropout: time after which the resident's devices are silent. */
  dropoutAtMs?: number;
}

export interface CohortOptions {
  residents: number;
  seed: number;
  /** Mix by share of residents, in this order. */
  mix?: Partial<Record<CohortMixScenario, number>>;
  durationMs: number;
  bpIntervalMs: number;
  /** Falls sensors report their status (with lastSeen) this often. */
  heartbeatMs: number;
  /**
   * Shares of the fall residents' aftermaths. Default FALL_AFTERMATH_SHARES (helped up 0.6, got
   * up 0.2, long lie 0.2); with three or more fall residents, each aftermath with a share occurs.
   */
  fallAftermaths?: Partial<Record<FallAftermath, number>>;
  /**
   * Residents, after the `residents` of the mix, whose systolic pressure hovers around the severe
   * threshold of 180 mmHg (BORDERLINE_SYSTOLIC, uniform per reading): the case flapping control is
   * for. Default 0. They draw from their own streams, so the other residents do not change.
   */
  borderline?: number;
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
const DEFAULT_MIX: Record<CohortMixScenario, number> = {
  normal: 0.4,
  hypertensive: 0.2,
  deteriorating: 0.16,
  fall: 0.14,
  dropout: 0.1,
};

export function cohortResidents(options: CohortOptions): CohortResident[] {
  const mix = { ...DEFAULT_MIX, ...options.mix };
  const rng = new Rng(mixSeed(options.seed, 0xc0));
  const order = Object.keys(mix) as CohortMixScenario[];
  const counts = order.map((s) => Math.round(mix[s] * options.residents));
  const scenarios: CohortScenario[] = order.flatMap((s, i) =>
    Array.from({ length: counts[i] ?? 0 }, () => s),
  );
  while (scenarios.length < options.residents) scenarios.push('normal');
  scenarios.length = options.residents;
  for (let i = 0; i < (options.borderline ?? 0); i++) scenarios.push('borderline');
  const residents = scenarios.map((scenario, i) => {
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
  const fallen = residents.filter((r) => r.scenario === 'fall');
  const aftermaths = fallAftermaths(fallen.length, options);
  fallen.forEach((r, i) => (r.fallAftermath = aftermaths[i]));
  return residents;
}

/**
 * `count` aftermaths in their shares, in a seeded order. Counted rather than drawn one by one, so
 * that a small cohort (50 residents have 7 falls) still has every aftermath, the long lie included.
 */
function fallAftermaths(count: number, options: CohortOptions): FallAftermath[] {
  const shares = { ...FALL_AFTERMATH_SHARES, ...options.fallAftermaths };
  const total = FALL_AFTERMATHS.reduce((sum, a) => sum + shares[a], 0);
  const list: FallAftermath[] = [];
  // The rarer aftermaths first, at least one each when there is room; helped up takes the rest.
  for (const a of [...FALL_AFTERMATHS].reverse()) {
    if (a === 'helped_up' || shares[a] <= 0) continue;
    const n = Math.min(
      count - list.length,
      Math.max(count >= 3 ? 1 : 0, Math.round((shares[a] / total) * count)),
    );
    for (let i = 0; i < n; i++) list.push(a);
  }
  const rest = shares.helped_up > 0 ? 'helped_up' : (list[0] ?? 'helped_up');
  while (list.length < count) list.push(rest);
  // Fisher-Yates with its own stream, so the other scripted times stay what they were.
  const rng = new Rng(mixSeed(options.seed, 0xaf));
  for (let i = list.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}

/**
 * Borderline residents' readings, uniform per reading (whole mmHg / bpm, inclusive), independent
 * from one reading to the next. Systolic 180 +/- 14 (SD about 8, a home cuff's reading-to-reading
 * spread): now and then below 170, where bp_high's hysteresis lets it clear, so an alert can clear
 * and reopen. At 172-188 it never clears and flapping control has nothing to do.
 */
export const BORDERLINE_SYSTOLIC = [166, 194] as const;
const BORDERLINE_DIASTOLIC = [95, 105] as const;
const BORDERLINE_PULSE = [64, 84] as const;

function borderlineVitals(rng: Rng): VitalSigns {
  const systolic = rng.int(...BORDERLINE_SYSTOLIC);
  const diastolic = rng.int(...BORDERLINE_DIASTOLIC);
  const pulseRate = rng.int(...BORDERLINE_PULSE);
  return { systolic, diastolic, meanArterial: Math.round(diastolic + (systolic - diastolic) / 3), pulseRate };
}

const EVENT_KINDS: Record<ScenarioEventType, string> = {
  fall: 'fall',
  help_button: 'help_request',
  upright: 'upright',
  no_movement: 'no_movement',
};

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
    const borderline = r.scenario === 'borderline';
    // Borderline residents' own stream (a different salt), whatever their number.
    const rng = new Rng(borderline ? mixSeed(options.seed, r.number, 0xb0) : mixSeed(options.seed, r.number));
    const scenario: Scenario = createScenario(
      // Drop-outs are normal until they go silent; borderline readings come from borderlineVitals.
      r.scenario === 'dropout' || r.scenario === 'borderline' ? 'normal' : r.scenario,
      {
        ...(r.deteriorationMs !== undefined ? { deteriorationMs: r.deteriorationMs } : {}),
        ...(r.fallAtMs !== undefined ? { fallAtMs: r.fallAtMs } : {}),
        ...(r.fallAftermath !== undefined ? { fallAftermath: r.fallAftermath } : {}),
        // The aftermath's times, within their ranges, from the resident's own seed.
        seed: mixSeed(options.seed, r.number, 0xfa11),
      },
    );
    const alive = (t: number) => r.dropoutAtMs === undefined || t < r.dropoutAtMs;
    // Readings at a per-resident offset within the interval, as people take them at different times.
    const offset = Math.round(rng.range(0, options.bpIntervalMs / 2));
    for (let t = offset; t < options.durationMs; t += options.bpIntervalMs) {
      if (!alive(t)) break;
      const v = borderline ? borderlineVitals(rng) : scenario.vitals(t, rng);
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
          kind: EVENT_KINDS[e.type],
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
