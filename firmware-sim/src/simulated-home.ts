/**
 * A simulated home (or care home): N residents, each with a blood pressure cuff and a falls sensor
 * running a scenario, all merged into one BleLink that stands in for the gateway's BLE radio.
 *
 * Two clocks:
 * - Device clocks are real UTC (`now`), because the gateway set them: every time stamp on the wire
 *   is a true wall-clock time, so the server's future-timestamp check holds.
 * - Scenario time runs `timeScale` times faster than real time and drives only the schedule: when
 *   readings are taken, how far a deterioration has progressed, when a fall happens. At
 *   timeScale 8640 a day of scenario passes in 10 s, and twice-daily cuff readings come every 5 s.
 * Heartbeats are radio-level liveness and run in real time.
 *
 * Everything random is drawn from per-resident streams derived from `seed`, in reading order, so a
 * seed reproduces the same readings.
 */
import { EventEmitter } from 'node:events';
import type { BleLink, BleLinkEvents, BleLinkListener } from '@wardline/protocol';
import { SimulatedBpCuff, type BpCuffOptions, type CuffMeasurement } from './bp-cuff.js';
import type { DemoGateway } from './demo-fleet.js';
import type { DeviceModel, SimulatedDevice } from './device.js';
import { SimulatedFallsSensor, type FallsSensorOptions } from './falls-sensor.js';
import { Rng, mixSeed } from './prng.js';
import {
  SCENARIO_NAMES,
  createScenario,
  type Scenario,
  type ScenarioName,
  type ScenarioOptions,
  type VitalSigns,
} from './scenarios.js';

export interface ResidentSpec {
  scenario: ScenarioName;
  /** Simulation label (never sent anywhere). Default 'resident-01', ... */
  label?: string;
  /** Device ids (BLE addresses). Defaults: c0:ff:ee:01:RR:RR (cuff), c0:ff:ee:02:RR:RR (falls). */
  cuffId?: string;
  fallsSensorId?: string;
  scenarioOptions?: ScenarioOptions;
  cuff?: Omit<BpCuffOptions, 'deviceId' | 'now'>;
  fallsSensor?: Omit<FallsSensorOptions, 'deviceId' | 'now'>;
}

export interface SimulatedHomeOptions {
  /** A count (scenarios cycle normal, hypertensive, deteriorating, fall) or explicit residents. */
  residents?: number | readonly ResidentSpec[];
  /** Seed for every random draw. Default 1. */
  seed?: number;
  /** Scenario ms per real ms. Default 1 (real time). */
  timeScale?: number;
  /** Cuff reading period in scenario time. Default 12 h (twice a day). */
  bpIntervalMs?: number;
  /** Falls sensor heartbeat period in real time. Default 60 s. */
  heartbeatIntervalMs?: number;
  /** Falls event repeats (PROTOCOL.md §5). Defaults 3 and 1000 ms. */
  urgentRepeatCount?: number;
  urgentRepeatIntervalMs?: number;
  /** Wall clock (device clocks). Default Date.now. */
  now?: () => number;
}

export interface SimulatedResident {
  /** 0-based position in the home. */
  index: number;
  label: string;
  scenario: Scenario;
  cuff: SimulatedBpCuff;
  fallsSensor: SimulatedFallsSensor;
}

export interface DeviceDescriptor {
  deviceId: string;
  model: DeviceModel;
  residentIndex: number;
  residentLabel: string;
  scenario: ScenarioName;
}

export interface ReadingTaken extends CuffMeasurement {
  residentIndex: number;
  vitals: VitalSigns;
}

const HOUR = 3_600_000;

/** Default BLE-style address: c0:ff:ee:{kind}:{number hi}:{number lo}, number 1-based. */
export function defaultDeviceId(model: DeviceModel, residentNumber: number): string {
  const kind = { 'bp-cuff': '01', 'falls-sensor': '02', 'pulse-oximeter': '03', thermometer: '04' }[model];
  const hex = residentNumber.toString(16).padStart(4, '0');
  return `c0:ff:ee:${kind}:${hex.slice(0, 2)}:${hex.slice(2, 4)}`;
}

/** Residents of one gateway of firmware-sim's demo fleet, with the ids the server's demo seed knows. */
export function residentsFromDemoGateway(gateway: DemoGateway): ResidentSpec[] {
  return gateway.residents.map((r) => {
    const spec: ResidentSpec = {
      scenario: r.scenario,
      label: `resident-${String(r.number).padStart(2, '0')}`,
    };
    const cuff = r.devices.find((d) => d.model === 'bp-cuff');
    const sensor = r.devices.find((d) => d.model === 'falls-sensor');
    if (cuff) spec.cuffId = cuff.id;
    if (sensor) spec.fallsSensorId = sensor.id;
    return spec;
  });
}

export class SimulatedHome implements BleLink {
  readonly residents: readonly SimulatedResident[];
  readonly timeScale: number;
  readonly bpIntervalMs: number;
  private readonly emitter = new EventEmitter();
  private readonly now: () => number;
  private readonly rngs: Rng[];
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Per device: battery at start and a stream for radio noise, both from the seed. */
  private readonly radio = new Map<string, { initialBattery: number; rng: Rng }>();
  private startedAt: number | undefined;

  constructor(options: SimulatedHomeOptions = {}) {
    const specs = residentSpecs(options.residents ?? 1);
    const seed = options.seed ?? 1;
    this.now = options.now ?? Date.now;
    this.timeScale = options.timeScale ?? 1;
    this.bpIntervalMs = options.bpIntervalMs ?? 12 * HOUR;
    if (!(this.timeScale > 0) || !(this.bpIntervalMs > 0))
      throw new RangeError('timeScale and bpIntervalMs must be > 0');
    this.rngs = specs.map((_, i) => new Rng(mixSeed(seed, i)));
    this.residents = specs.map((spec, index) => {
      const number = index + 1;
      const rng = this.rngs[index] as Rng;
      const cuff = new SimulatedBpCuff({
        battery: rng.fork(0xba, 1).int(60, 100),
        ...spec.cuff,
        deviceId: spec.cuffId ?? defaultDeviceId('bp-cuff', number),
        now: this.now,
      });
      const fallsSensor = new SimulatedFallsSensor({
        heartbeatIntervalMs: options.heartbeatIntervalMs,
        urgentRepeatCount: options.urgentRepeatCount,
        urgentRepeatIntervalMs: options.urgentRepeatIntervalMs,
        // A deterministic, per-device counter start, as after a power-on.
        counterStart: rng.fork(0xc0).int(0, 0xffff),
        battery: rng.fork(0xba, 2).int(60, 100),
        ...spec.fallsSensor,
        deviceId: spec.fallsSensorId ?? defaultDeviceId('falls-sensor', number),
        now: this.now,
      });
      for (const [i, device] of [cuff, fallsSensor].entries()) {
        this.relay(device);
        this.radio.set(device.deviceId, { initialBattery: device.battery, rng: rng.fork(0x5551, i) });
      }
      return {
        index,
        label: spec.label ?? `resident-${String(number).padStart(2, '0')}`,
        scenario: createScenario(spec.scenario, spec.scenarioOptions),
        cuff,
        fallsSensor,
      };
    });
    const ids = this.devices().map((d) => d.deviceId);
    if (new Set(ids).size !== ids.length) throw new Error('device ids must be unique within a home');
  }

  on<E extends keyof BleLinkEvents>(event: E, listener: BleLinkListener<E>): this {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<E extends keyof BleLinkEvents>(event: E, listener: BleLinkListener<E>): this {
    this.emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  connectedDevices(): string[] {
    return this.allDevices()
      .filter((d) => d.connected)
      .map((d) => d.deviceId);
  }

  devices(): DeviceDescriptor[] {
    return this.residents.flatMap((r) =>
      [r.cuff, r.fallsSensor].map((d) => ({
        deviceId: d.deviceId,
        model: d.model,
        residentIndex: r.index,
        residentLabel: r.label,
        scenario: r.scenario.name,
      })),
    );
  }

  device(deviceId: string): SimulatedDevice | undefined {
    return this.allDevices().find((d) => d.deviceId === deviceId);
  }

  /** Connects every device (each then reports its battery), without starting any schedule. */
  connectAll(): void {
    for (const device of this.allDevices()) device.connect();
  }

  disconnectAll(): void {
    for (const device of this.allDevices()) device.disconnect();
  }

  /** Scenario ms since start() (0 before). */
  scenarioElapsedMs(): number {
    return this.startedAt === undefined ? 0 : (this.now() - this.startedAt) * this.timeScale;
  }

  /**
   * Connects every device (unless told not to) and runs the scenarios: cuff readings every bpIntervalMs of scenario
   * time (the first ones staggered over the first real minute), scenario falls and help presses,
   * heartbeats and a slowly draining battery.
   */
  start(options: { connectDevices?: boolean } = {}): void {
    if (this.startedAt !== undefined) return;
    this.startedAt = this.now();
    // Behind a SimulatedBinding the gateway connects the devices itself, through noble.
    if (options.connectDevices ?? true) this.connectAll();
    const count = this.residents.length;
    const firstWindow = Math.min(this.bpIntervalMs, 60_000 * this.timeScale);
    for (const resident of this.residents) {
      this.scheduleReading(resident, (resident.index / count) * firstWindow);
      for (const event of resident.scenario.events) {
        this.at(event.atMs, () => {
          if (event.type === 'fall') resident.fallsSensor.fall(event.confidence ?? null);
          else resident.fallsSensor.pressHelp();
        });
      }
      resident.fallsSensor.startHeartbeat();
    }
    const heartbeat = this.residents[0]?.fallsSensor.heartbeatIntervalMs ?? 60_000;
    const radio = setInterval(() => this.radioTick(), Math.max(1000, heartbeat));
    this.timers.add(radio);
  }

  /** Stops every timer and disconnects every device. */
  stop(): void {
    for (const timer of this.timers) {
      clearTimeout(timer);
      clearInterval(timer);
    }
    this.timers.clear();
    for (const device of this.allDevices()) device.stop();
    this.disconnectAll();
    this.startedAt = undefined;
  }

  /** Takes a cuff reading for a resident now, from its scenario at the current scenario time. */
  takeReading(residentIndex: number, at?: Date): ReadingTaken {
    return this.read(residentIndex, this.scenarioElapsedMs(), at);
  }

  private read(residentIndex: number, scenarioMs: number, at?: Date): ReadingTaken {
    const resident = this.residents[residentIndex];
    const rng = this.rngs[residentIndex];
    if (!resident || !rng) throw new RangeError(`no resident ${residentIndex}`);
    const vitals = resident.scenario.vitals(scenarioMs, rng);
    return { residentIndex, vitals, ...resident.cuff.measure(vitals, at) };
  }

  private scheduleReading(resident: SimulatedResident, scenarioMs: number): void {
    this.at(scenarioMs, () => {
      this.read(resident.index, scenarioMs);
      this.scheduleReading(resident, scenarioMs + this.bpIntervalMs);
    });
  }

  /** Runs fn at a scenario time. */
  private at(scenarioMs: number, fn: () => void): void {
    const delay = Math.max(0, (scenarioMs - this.scenarioElapsedMs()) / this.timeScale);
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        fn();
      },
      Math.min(delay, 2 ** 31 - 1),
    );
    this.timers.add(timer);
  }

  /**
   * Batteries drain about 0.2 % a day of scenario time (one at 10 % is replaced with a full one),
   * and each connected device reports a signal strength around -65 dBm.
   */
  private radioTick(): void {
    const days = this.scenarioElapsedMs() / (24 * HOUR);
    for (const device of this.allDevices()) {
      const state = this.radio.get(device.deviceId);
      if (!state) continue;
      const usable = Math.max(1, state.initialBattery - 10);
      device.setBattery(state.initialBattery - ((days * 0.2) % usable));
      if (device.connected) {
        const rssi = Math.round(Math.max(-100, Math.min(-30, state.rng.normal(-65, 6))));
        this.emitter.emit('rssi', device.deviceId, rssi);
      }
    }
  }

  /** Every device object (for a SimulatedBinding). */
  allDevices(): SimulatedDevice[] {
    return this.residents.flatMap((r) => [r.cuff, r.fallsSensor]);
  }

  private relay(device: SimulatedDevice): void {
    device.on('notification', (...args) => this.emitter.emit('notification', ...args));
    device.on('connect', (id) => this.emitter.emit('connect', id));
    device.on('disconnect', (id) => this.emitter.emit('disconnect', id));
  }
}

function residentSpecs(residents: number | readonly ResidentSpec[]): readonly ResidentSpec[] {
  if (typeof residents !== 'number') return residents;
  if (!Number.isInteger(residents) || residents < 0 || residents > 0xffff) {
    throw new RangeError(`resident count ${residents} is not an integer in 0..65535`);
  }
  return Array.from({ length: residents }, (_, i) => ({
    scenario: SCENARIO_NAMES[i % SCENARIO_NAMES.length] as ScenarioName,
  }));
}
