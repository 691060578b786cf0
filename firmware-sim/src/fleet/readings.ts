/**
 * Realistic observations for a fleet, in the wire contract's form (what a gateway publishes
 * after decoding its devices' bytes): vitals from each resident's scenario, one canonical unit
 * per component, per-gateway sequence numbers, and ids drawn from a seeded stream so that a
 * replay of the same fleet produces the same ids (and the server's de-duplication sees them).
 */
import type { Observation } from '@wardline/protocol';
import { createHash } from 'node:crypto';
import { Rng, mixSeed } from '../prng.js';
import { createScenario, type FallAftermath, type Scenario } from '../scenarios.js';
import type { FleetDevice, FleetGateway, FleetPlan, FleetResident } from './plan.js';

export interface FleetReadingsOptions {
  /** deteriorating residents reach the danger zone this long after the fleet's start. Default 2 h. */
  deteriorationMs?: number;
}

interface GatewayStream {
  rng: Rng;
  seq: number;
  cursor: number;
  routineDevices: { resident: FleetResident; device: FleetDevice }[];
}

/** What a falls sensor reports after a fall, as observation kinds. */
export type FallFollowUpKind = 'help_request' | 'upright' | 'no_movement';

export interface FallAftermathPlan {
  aftermath: FallAftermath;
  /** In time order, measurement times in the fall's clock (fallAtMs plus the delay). */
  events: { atMs: number; kind: FallFollowUpKind }[];
}

const FOLLOW_UP_KINDS = {
  help_button: 'help_request',
  upright: 'upright',
  no_movement: 'no_movement',
} as const;

const clamp = (v: number, min: number, max: number) => Math.min(max, Math.max(min, v));
const round1 = (v: number) => Math.round(v * 10) / 10;

/**
 * A version-4-shaped UUID from (seed, gateway, seq): the same every run, unique across the fleet.
 * Not drawn from the PRNG: mulberry32 has 2^32 states, so the streams of thousands of gateways
 * overlap and gave two gateways the same ids (the server rightly kept only one of each).
 */
function uuidFor(seed: number, gateway: number, seq: number): string {
  const bytes = createHash('sha256').update(`${seed}:${gateway}:${seq}`).digest();
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export class FleetReadings {
  readonly #streams = new Map<number, GatewayStream>();
  readonly #scenarios = new Map<number, Scenario>();
  readonly #deteriorationMs: number;

  constructor(
    private readonly plan: FleetPlan,
    options: FleetReadingsOptions = {},
  ) {
    this.#deteriorationMs = options.deteriorationMs ?? 2 * 3_600_000;
  }

  #stream(gateway: FleetGateway): GatewayStream {
    let stream = this.#streams.get(gateway.index);
    if (!stream) {
      stream = {
        rng: new Rng(mixSeed(this.plan.options.seed, 0x5eed, gateway.index)),
        seq: 0,
        cursor: 0,
        routineDevices: gateway.residents.flatMap((resident) =>
          resident.devices.filter((d) => d.model !== 'falls-sensor').map((device) => ({ resident, device })),
        ),
      };
      this.#streams.set(gateway.index, stream);
    }
    return stream;
  }

  #scenario(resident: FleetResident): Scenario {
    let scenario = this.#scenarios.get(resident.index);
    if (!scenario) {
      scenario = createScenario(resident.scenario, { deteriorationMs: this.#deteriorationMs });
      this.#scenarios.set(resident.index, scenario);
    }
    return scenario;
  }

  /** 0 for stable residents; 0..1 along a deteriorating resident's course. */
  #progress(resident: FleetResident, elapsedMs: number): number {
    if (resident.scenario !== 'deteriorating') return 0;
    return clamp(elapsedMs / this.#deteriorationMs, 0, 1) ** 1.5;
  }

  /**
   * The gateway's next routine reading, its devices taking turns: a cuff, oximeter or
   * thermometer reading measured at `measuredAtMs`, `elapsedMs` into the residents' scenarios.
   */
  routine(gateway: FleetGateway, measuredAtMs: number, elapsedMs = 0): Observation {
    const stream = this.#stream(gateway);
    if (stream.routineDevices.length === 0)
      throw new Error(`gateway ${gateway.gateway} has no vital-sign devices`);
    const { resident, device } = stream.routineDevices[stream.cursor++ % stream.routineDevices.length]!;
    const rng = stream.rng;
    const envelope = {
      id: uuidFor(this.plan.options.seed, gateway.index, stream.seq),
      deviceId: device.id,
      measuredAt: new Date(measuredAtMs).toISOString(),
      seq: stream.seq++,
    };
    const progress = this.#progress(resident, elapsedMs);
    switch (device.model) {
      case 'pulse-oximeter': {
        const spo2 = Math.round(clamp(rng.normal(97 - 7 * progress, 1), 70, 100));
        const pulse = this.#scenario(resident).vitals(elapsedMs, rng).pulseRate;
        return {
          ...envelope,
          kind: 'spo2',
          values: { spo2: { value: spo2, unit: '%' }, pulseRate: { value: pulse, unit: 'bpm' } },
        };
      }
      case 'thermometer': {
        const temperature = round1(clamp(rng.normal(36.8 + 1.6 * progress, 0.2), 34, 42));
        return {
          ...envelope,
          kind: 'body_temperature',
          values: { temperature: { value: temperature, unit: '°C' } },
        };
      }
      default: {
        const v = this.#scenario(resident).vitals(elapsedMs, rng);
        return {
          ...envelope,
          kind: 'blood_pressure',
          values: {
            systolic: { value: v.systolic, unit: 'mmHg' },
            diastolic: { value: v.diastolic, unit: 'mmHg' },
            meanArterial: { value: v.meanArterial, unit: 'mmHg' },
            pulseRate: { value: v.pulseRate, unit: 'bpm' },
          },
        };
      }
    }
  }

  /** A fall reported by the resident's falls sensor (the gateway's next sequence number). */
  fall(gateway: FleetGateway, resident: FleetResident, measuredAtMs: number): Observation {
    return this.#event(gateway, resident, measuredAtMs, 'fall');
  }

  /** A help-button press on the resident's falls sensor. */
  helpRequest(gateway: FleetGateway, resident: FleetResident, measuredAtMs: number): Observation {
    return this.#event(gateway, resident, measuredAtMs, 'help_request');
  }

  /** The falls sensor says the resident is upright again after a fall. */
  upright(gateway: FleetGateway, resident: FleetResident, measuredAtMs: number): Observation {
    return this.#event(gateway, resident, measuredAtMs, 'upright');
  }

  /** The falls sensor says the resident has not moved since a fall for its no-movement period. */
  noMovement(gateway: FleetGateway, resident: FleetResident, measuredAtMs: number): Observation {
    return this.#event(gateway, resident, measuredAtMs, 'no_movement');
  }

  /** The follow-up of `kind` (from fallAftermath's plan) as an observation. */
  followUp(
    gateway: FleetGateway,
    resident: FleetResident,
    measuredAtMs: number,
    kind: FallFollowUpKind,
  ): Observation {
    return this.#event(gateway, resident, measuredAtMs, kind);
  }

  /**
   * What follows a fall at `fallAtMs` for this resident, seeded by the fleet's seed and the
   * resident (firmware-sim's fall scenario): helped up (most), got up alone, or a long lie. The
   * caller sends each event at its time with followUp(), so sequence numbers stay in time order.
   */
  fallAftermath(resident: FleetResident, fallAtMs: number): FallAftermathPlan {
    const seed = mixSeed(this.plan.options.seed, 0xfa11, resident.index);
    const scenario = createScenario('fall', { fallAtMs, seed });
    return {
      aftermath: scenario.fallAftermath ?? 'helped_up',
      events: scenario.events.flatMap((e) =>
        e.type === 'fall' ? [] : [{ atMs: e.atMs, kind: FOLLOW_UP_KINDS[e.type] }],
      ),
    };
  }

  #event(
    gateway: FleetGateway,
    resident: FleetResident,
    measuredAtMs: number,
    kind: 'fall' | FallFollowUpKind,
  ): Observation {
    const sensor = resident.devices.find((d) => d.model === 'falls-sensor');
    if (!sensor) throw new Error(`resident ${resident.index} has no falls sensor`);
    const stream = this.#stream(gateway);
    const envelope = {
      id: uuidFor(this.plan.options.seed, gateway.index, stream.seq),
      deviceId: sensor.id,
      measuredAt: new Date(measuredAtMs).toISOString(),
      seq: stream.seq++,
    };
    return kind === 'fall'
      ? { ...envelope, kind, values: { confidence: { value: 92, unit: '%' } } }
      : { ...envelope, kind, values: {} };
  }
}
