/**
 * A simulated home (or care home): N residents, each with a blood pressure cuff and a falls sensor
 * (and, if given ids for them, a pulse oximeter and a thermometer) running a scenario, all merged
 * into one BleLink that stands in for the gateway's BLE radio.
 *
 * Two clocks:
 * - Device clocks are real UTC (`now`), because the gateway set them: every time stamp on the wire
 *   is a true wall-clock time, so the server's future-timestamp check holds.
 * - Scenario time runs `timeScale` times faster than real time and drives only the schedule: when
 *   readings are taken, how far a deterioration has progressed, when a fall happens. At
 *   timeScale 8640 a day of scenario passes in 10 s, and twice-daily cuff readings come every 5 s.
 * Heartbeats are radio-level liveness and run in real time.
 *
 * With a `rhythm` (the demo's), readings follow a clock of the day instead of a fixed period:
 * cuff sessions morning and evening, two readings a real minute apart, and four-hourly rounds of
 * oximeter, thermometer and staff observations (see demo-rhythm.ts).
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
import { nextRoundAt, type DemoRhythm } from './demo-rhythm.js';
import { Rng, mixSeed } from './prng.js';
import { SimulatedPulseOximeter } from './pulse-oximeter.js';
import {
  SCENARIO_NAMES,
  createScenario,
  type Scenario,
  type ScenarioName,
  type ScenarioOptions,
  type VitalSigns,
} from './scenarios.js';
import { spotVitals, type SpotVitals } from './spot-vitals.js';
import { SimulatedThermometer } from './thermometer.js';

export interface ResidentSpec {
  scenario: ScenarioName;
  /** Simulation label (never sent anywhere). Default 'resident-01', ... */
  label?: string;
  /** Device ids (BLE addresses). Defaults: c0:ff:ee:01:RR:RR (cuff), c0:ff:ee:02:RR:RR (falls). */
  cuffId?: string;
  fallsSensorId?: string;
  /** Given, the resident also has a pulse oximeter / a thermometer with this id. */
  oximeterId?: string;
  thermometerId?: string;
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
  /** Readings on a clock of the day (the demo's) instead of every bpIntervalMs. */
  rhythm?: DemoRhythm;
  /** Scenario time at start(): a restarted demo continues where it was. Default 0. */
  startAtScenarioMs?: number;
  /**
   * The record of scripted events (falls, help presses) that have already happened: an event it
   * knows is not run again; `happened` is told of each one as it runs, before the device sends it.
   */
  scriptedEvents?: {
    alreadyHappened(key: string): boolean;
    happened(key: string): void;
  };
  /**
   * A staff observation round for a resident with an oximeter or thermometer: what staff would
   * count and note (respiration rate, consciousness, oxygen), which no simulated device sends.
   */
  onStaffRound?: (round: StaffRound) => void;
}

export interface StaffRound {
  residentIndex: number;
  residentLabel: string;
  /** Scenario time of the round. */
  scenarioMs: number;
  vitals: SpotVitals;
}

export interface SimulatedResident {
  /** 0-based position in the home. */
  index: number;
  label: string;
  scenario: Scenario;
  cuff: SimulatedBpCuff;
  fallsSensor: SimulatedFallsSensor;
  oximeter?: SimulatedPulseOximeter;
  thermometer?: SimulatedThermometer;
  scenarioOptions: ScenarioOptions;
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
    const idOf = (model: string) => r.devices.find((d) => d.model === model)?.id;
    const [cuff, sensor, oximeter, thermometer] = [
      idOf('bp-cuff'),
      idOf('falls-sensor'),
      idOf('pulse-oximeter'),
      idOf('thermometer'),
    ];
    if (cuff) spec.cuffId = cuff;
    if (sensor) spec.fallsSensorId = sensor;
    if (oximeter) spec.oximeterId = oximeter;
    if (thermometer) spec.thermometerId = thermometer;
    return spec;
  });
}

/** A scripted event's name in the record of those that have happened. */
export const scriptedEventKey = (residentLabel: string, event: { type: string; atMs: number }): string =>
  `${residentLabel}:${event.type}@${event.atMs}`;

const devicesOf = (r: SimulatedResident): SimulatedDevice[] =>
  [r.cuff, r.fallsSensor, r.oximeter, r.thermometer].filter(
    (d): d is NonNullable<typeof d> => d !== undefined,
  );

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
  private readonly rhythm: DemoRhythm | undefined;
  private readonly startAtScenarioMs: number;
  private readonly scriptedEvents: SimulatedHomeOptions['scriptedEvents'];
  private readonly onStaffRound: SimulatedHomeOptions['onStaffRound'];
  /** Per resident: the stream for oximeter, thermometer and staff rounds (the cuff's stays as it was). */
  private readonly spotRngs: Rng[];

  constructor(options: SimulatedHomeOptions = {}) {
    const specs = residentSpecs(options.residents ?? 1);
    const seed = options.seed ?? 1;
    this.now = options.now ?? Date.now;
    this.timeScale = options.timeScale ?? 1;
    this.bpIntervalMs = options.bpIntervalMs ?? 12 * HOUR;
    if (!(this.timeScale > 0) || !(this.bpIntervalMs > 0))
      throw new RangeError('timeScale and bpIntervalMs must be > 0');
    this.rhythm = options.rhythm;
    this.startAtScenarioMs = options.startAtScenarioMs ?? 0;
    this.scriptedEvents = options.scriptedEvents;
    this.onStaffRound = options.onStaffRound;
    this.rngs = specs.map((_, i) => new Rng(mixSeed(seed, i)));
    this.spotRngs = this.rngs.map((rng) => rng.fork(0x5907));
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
      const oximeter =
        spec.oximeterId === undefined
          ? undefined
          : new SimulatedPulseOximeter({
              battery: rng.fork(0xba, 3).int(60, 100),
              deviceId: spec.oximeterId,
              now: this.now,
            });
      const thermometer =
        spec.thermometerId === undefined
          ? undefined
          : new SimulatedThermometer({
              battery: rng.fork(0xba, 4).int(60, 100),
              deviceId: spec.thermometerId,
              now: this.now,
            });
      const label = spec.label ?? `resident-${String(number).padStart(2, '0')}`;
      const scenario = createScenario(spec.scenario, spec.scenarioOptions);
      const resident: SimulatedResident = {
        index,
        label,
        // What the record says has already happened does not happen again.
        scenario: this.scriptedEvents
          ? {
              ...scenario,
              events: scenario.events.filter(
                (event) => !this.scriptedEvents!.alreadyHappened(scriptedEventKey(label, event)),
              ),
            }
          : scenario,
        cuff,
        fallsSensor,
        scenarioOptions: spec.scenarioOptions ?? {},
      };
      if (oximeter) resident.oximeter = oximeter;
      if (thermometer) resident.thermometer = thermometer;
      for (const [i, device] of devicesOf(resident).entries()) {
        this.relay(device);
        this.radio.set(device.deviceId, { initialBattery: device.battery, rng: rng.fork(0x5551, i) });
      }
      return resident;
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
      devicesOf(r).map((d) => ({
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

  /** Scenario ms since the scenario began (startAtScenarioMs before start()). */
  scenarioElapsedMs(): number {
    const running = this.startedAt === undefined ? 0 : (this.now() - this.startedAt) * this.timeScale;
    return this.startAtScenarioMs + running;
  }

  /**
   * Connects every device (unless told not to) and runs the scenarios: cuff readings every bpIntervalMs of scenario
   * time (the first ones staggered over the first real minute), scenario falls and help presses,
   * heartbeats and a slowly draining battery.
   */
  start(options: { connectDevices?: boolean } = {}): void {
    if (this.startedAt !== undefined) return;
    this.startedAt = this.now();
    this.recordScriptedEvents();
    // Behind a SimulatedBinding the gateway connects the devices itself, through noble.
    if (options.connectDevices ?? true) this.connectAll();
    const count = this.residents.length;
    const firstWindow = Math.min(this.bpIntervalMs, 60_000 * this.timeScale);
    for (const resident of this.residents) {
      this.scheduleReading(resident, (resident.index / count) * firstWindow);
      for (const event of resident.scenario.events) {
        this.at(event.atMs, () => {
          const sensor = resident.fallsSensor;
          if (event.type === 'fall') sensor.fall(event.confidence ?? null);
          else if (event.type === 'help_button') sensor.pressHelp();
          else if (event.type === 'upright') sensor.upright();
          else sensor.noMovement();
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
    if (this.rhythm) {
      this.scheduleRounds(resident, this.rhythm);
      return;
    }
    this.at(scenarioMs, () => {
      this.read(resident.index, scenarioMs);
      this.scheduleReading(resident, scenarioMs + this.bpIntervalMs);
    });
  }

  /** Cuff sessions and observation rounds on the rhythm's clock of the day, from now on. */
  private scheduleRounds(resident: SimulatedResident, rhythm: DemoRhythm): void {
    const from = this.scenarioElapsedMs();
    const cuffSession = (at: number) =>
      this.at(at, () => {
        this.read(resident.index, at);
        // The second reading of the pair a minute later on the cuff's own (real) clock.
        this.afterRealMs(rhythm.pairGapMs, () =>
          this.read(resident.index, at + rhythm.pairGapMs * this.timeScale),
        );
        cuffSession(nextRoundAt(at + 1, rhythm.cuffTimes, rhythm, resident.index));
      });
    cuffSession(nextRoundAt(from, rhythm.cuffTimes, rhythm, resident.index));
    if (!resident.oximeter && !resident.thermometer) return;
    const spotRound = (at: number) =>
      this.at(at, () => {
        this.observe(resident, at);
        spotRound(nextRoundAt(at + 1, rhythm.spotTimes, rhythm, resident.index));
      });
    spotRound(nextRoundAt(from, rhythm.spotTimes, rhythm, resident.index));
  }

  /** An observation round: oximeter and thermometer readings, and what staff note. */
  private observe(resident: SimulatedResident, scenarioMs: number): void {
    const rng = this.spotRngs[resident.index]!;
    const vitals = spotVitals(resident.scenario.name, scenarioMs, rng, resident.scenarioOptions);
    // The oximeter's pulse follows the same course as the cuff's.
    const pulse = resident.scenario.vitals(scenarioMs, rng).pulseRate;
    resident.oximeter?.spotCheck(vitals.spo2, pulse);
    resident.thermometer?.measure(vitals.temperature);
    this.onStaffRound?.({ residentIndex: resident.index, residentLabel: resident.label, scenarioMs, vitals });
  }

  /** Tells the record of scripted events of each as it runs (scheduled first: it runs first). */
  private recordScriptedEvents(): void {
    const record = this.scriptedEvents;
    if (!record) return;
    for (const resident of this.residents)
      for (const event of resident.scenario.events)
        this.at(event.atMs, () => record.happened(scriptedEventKey(resident.label, event)));
  }

  private afterRealMs(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
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
    return this.residents.flatMap(devicesOf);
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
