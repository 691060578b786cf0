/**
 * The demo's script (`npm start`): one demo clock for every simulated home, running `speed` times
 * faster than real time (default 60: a demo hour a minute), and a record of what has already
 * happened, kept in a small state file so that a restart continues the story (the clock where it
 * was, a fall that happened not happening again) instead of replaying it as new.
 *
 * Time stamps on the wire stay real UTC: only when things happen follows the demo clock.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { DEFAULT_DEMO_RHYTHM, HOUR, type DemoRhythm } from './demo-rhythm.js';
import type { DemoGateway } from './demo-fleet.js';
import { residentsFromDemoGateway, SimulatedHome, type StaffRound } from './simulated-home.js';
import type { ScenarioName, ScenarioOptions } from './scenarios.js';

export const DEFAULT_DEMO_SPEED = 60;

/** The demo's own timing: a fall ten demo minutes in, a deterioration over a demo day. */
export const DEMO_SCENARIO_OPTIONS: Partial<Record<ScenarioName, ScenarioOptions>> = {
  fall: { fallAtMs: 10 * 60_000 },
  deteriorating: { deteriorationMs: 24 * HOUR },
};

/** WARDLINE_DEMO_SPEED: demo time per real time, a positive number. */
export function demoSpeedFromEnv(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_DEMO_SPEED;
  const speed = Number(value);
  if (!Number.isFinite(speed) || speed <= 0)
    throw new RangeError(`WARDLINE_DEMO_SPEED must be a positive number, not ${value}`);
  return speed;
}

interface DemoState {
  version: 1;
  /** Demo (scenario) time reached, ms since the demo first started. */
  scenarioMs: number;
  /** Scripted events that have happened, by key. */
  happened: string[];
}

export interface DemoScriptOptions {
  /** The state file (0600). Without one, the script is forgotten when the process ends. */
  path?: string;
  speed?: number;
  now?: () => number;
}

export class DemoScript {
  readonly speed: number;
  private readonly path: string | undefined;
  private readonly now: () => number;
  private readonly happenedKeys: Set<string>;
  private readonly startScenarioMs: number;
  private readonly startedAt: number;

  constructor(options: DemoScriptOptions = {}) {
    this.path = options.path;
    this.speed = options.speed ?? DEFAULT_DEMO_SPEED;
    this.now = options.now ?? Date.now;
    const state = this.path && existsSync(this.path) ? readState(this.path) : null;
    this.happenedKeys = new Set(state?.happened ?? []);
    this.startScenarioMs = state?.scenarioMs ?? 0;
    this.startedAt = this.now();
  }

  /** Demo time now: where the last run left it, plus this run's time at `speed`. */
  scenarioMs(): number {
    return this.startScenarioMs + (this.now() - this.startedAt) * this.speed;
  }

  alreadyHappened(key: string): boolean {
    return this.happenedKeys.has(key);
  }

  /** Recorded (and written) before the event is sent: a crash after it never replays it. */
  happened(key: string): void {
    this.happenedKeys.add(key);
    this.save();
  }

  /** Writes where the clock is; called now and then and on stop. */
  save(): void {
    if (!this.path) return;
    const state: DemoState = {
      version: 1,
      scenarioMs: Math.round(this.scenarioMs()),
      happened: [...this.happenedKeys].sort(),
    };
    const temporary = `${this.path}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    renameSync(temporary, this.path);
  }

  /**
   * A simulated home for one of the demo fleet's gateways on this script's clock, its events
   * keyed by gateway so that two homes' residents never share a record.
   */
  home(
    gateway: DemoGateway,
    options: { seed?: number; rhythm?: DemoRhythm; onStaffRound?: (round: StaffRound) => void } = {},
  ): SimulatedHome {
    const prefix = `${gateway.site}.${gateway.gateway}/`;
    return new SimulatedHome({
      residents: residentsFromDemoGateway(gateway).map((spec) => {
        const timing = DEMO_SCENARIO_OPTIONS[spec.scenario];
        return timing ? { ...spec, scenarioOptions: { ...timing, ...spec.scenarioOptions } } : spec;
      }),
      timeScale: this.speed,
      rhythm: options.rhythm ?? DEFAULT_DEMO_RHYTHM,
      startAtScenarioMs: this.scenarioMs(),
      scriptedEvents: {
        alreadyHappened: (key) => this.alreadyHappened(prefix + key),
        happened: (key) => this.happened(prefix + key),
      },
      now: this.now,
      ...(options.seed !== undefined && { seed: options.seed }),
      ...(options.onStaffRound && { onStaffRound: options.onStaffRound }),
    });
  }
}

function readState(path: string): DemoState | null {
  try {
    const state = JSON.parse(readFileSync(path, 'utf8')) as Partial<DemoState>;
    if (
      state.version !== 1 ||
      typeof state.scenarioMs !== 'number' ||
      !Number.isFinite(state.scenarioMs) ||
      !Array.isArray(state.happened)
    )
      return null;
    return { version: 1, scenarioMs: Math.max(0, state.scenarioMs), happened: state.happened.map(String) };
  } catch {
    // A damaged file: the demo starts its script again rather than not at all.
    return null;
  }
}
