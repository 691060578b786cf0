/**
 * A simulated falls sensor implementing the Wardline Falls Service 1, revision 1.1
 * (protocol/src/ble/profiles/falls/PROTOCOL.md): heartbeats every N seconds, falls with a
 * confidence, help-button presses, and after a fall "upright" and "no movement" events, each as the
 * real Falls Event bytes; Battery Level via the SIG Battery Service. As the protocol requires (§5),
 * every event but a heartbeat is sent 3 times, 1 s apart, byte-identical, and the last 8 are kept
 * while no gateway is connected.
 */
import { falls } from '@wardline/protocol';
import { SimulatedDevice, type DeviceModel, type SimulatedDeviceOptions } from './device.js';

export interface FallsSensorOptions extends SimulatedDeviceOptions {
  /** Heartbeat period in (real) ms. Default 60 000 (PROTOCOL.md §6). */
  heartbeatIntervalMs?: number;
  /** Transmissions of each fall, help, upright and no-movement event. Default 3 (§5). */
  urgentRepeatCount?: number;
  /** Gap between transmissions, ms. Default 1000 (§5). */
  urgentRepeatIntervalMs?: number;
  /** First event counter value. Default 0. */
  counterStart?: number;
  /** false simulates a device whose clock was never set: time stamp 0 (§3.4). Default true. */
  clockSet?: boolean;
}

export class SimulatedFallsSensor extends SimulatedDevice {
  readonly model: DeviceModel = 'falls-sensor';
  readonly profile = falls.profile;
  readonly primaryCharacteristic = falls.FALLS_EVENT_UUID;
  protected readonly keepLimit = 8; // PROTOCOL.md §5: at least the 8 most recent urgent events
  readonly heartbeatIntervalMs: number;
  private readonly repeatCount: number;
  private readonly repeatIntervalMs: number;
  private readonly clockSet: boolean;
  private counter: number;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly repeatTimers = new Set<NodeJS.Timeout>();

  constructor(options: FallsSensorOptions) {
    super(options);
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 60_000;
    this.repeatCount = Math.max(1, options.urgentRepeatCount ?? 3);
    this.repeatIntervalMs = options.urgentRepeatIntervalMs ?? 1000;
    this.clockSet = options.clockSet ?? true;
    this.counter = (options.counterStart ?? 0) & 0xffff;
  }

  /** A fall detected now (or at `at`), with the algorithm's confidence in percent. */
  fall(confidence: number | null = 90, at?: Date): Buffer {
    return this.event('fall', confidence, at);
  }

  /** The wearer pressed the help button. */
  pressHelp(at?: Date): Buffer {
    return this.event('help_button', null, at);
  }

  /** The wearer is upright again after a fall (§3.6); `at` is when they rose. */
  upright(at?: Date): Buffer {
    return this.event('upright', null, at);
  }

  /** After a fall, the wearer has not moved for the sensor's no-movement period (§3.6). */
  noMovement(at?: Date): Buffer {
    return this.event('no_movement', null, at);
  }

  heartbeat(at?: Date): Buffer {
    return this.event('heartbeat', null, at);
  }

  /** Sends a heartbeat every heartbeatIntervalMs while connected. */
  startHeartbeat(): void {
    if (this.heartbeatTimer) return;
    this.heartbeatTimer = setInterval(() => {
      if (this.connected) this.heartbeat();
    }, this.heartbeatIntervalMs);
  }

  override stop(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    for (const timer of this.repeatTimers) clearTimeout(timer);
    this.repeatTimers.clear();
  }

  /** Sends arbitrary bytes on the Falls Event characteristic: for fault-injection tests. */
  sendRaw(bytes: Uint8Array): Buffer {
    return this.send(falls.FALLS_SERVICE_UUID, falls.FALLS_EVENT_UUID, bytes, {
      keepWhileDisconnected: false,
    });
  }

  private event(type: falls.FallsEventType, confidence: number | null, at?: Date): Buffer {
    // §3.3/§6: no heartbeat while disconnected, and no counter value spent on one.
    if (type === 'heartbeat' && !this.connected) return Buffer.alloc(0);
    const seconds = Math.floor((at?.getTime() ?? this.now()) / 1000);
    const bytes = falls.encode({
      type,
      counter: this.counter,
      timestamp: this.clockSet ? seconds : null,
      confidence: type === 'fall' && confidence !== null ? Math.round(confidence) : null,
    });
    this.counter = (this.counter + 1) & 0xffff; // §3.3: +1 per new event, repeats keep it
    const urgent = type !== 'heartbeat';
    const sent = this.send(falls.FALLS_SERVICE_UUID, falls.FALLS_EVENT_UUID, bytes, {
      keepWhileDisconnected: urgent,
    });
    if (urgent) {
      for (let i = 1; i < this.repeatCount; i++) {
        const timer = setTimeout(() => {
          this.repeatTimers.delete(timer);
          // Repeats are for the air link; one kept copy is enough while disconnected.
          if (this.connected) this.sendRaw(bytes);
        }, i * this.repeatIntervalMs);
        this.repeatTimers.add(timer);
      }
    }
    return sent;
  }
}
