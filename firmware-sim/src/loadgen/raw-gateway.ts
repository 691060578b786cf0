/**
 * One gateway on a raw TCP socket, speaking just enough MQTT 3.1.1 to be a real gateway on the
 * wire: CONNECT with its own client id and credentials and a persistent session (clean=false),
 * QoS 1 PUBLISHes of pre-encoded batches with at most `window` routine batches awaiting their
 * PUBACK (urgent ones, falls, never held back), PINGREQ when idle, and after a lost connection a
 * reconnect that sends every unacknowledged PUBLISH again with DUP set [MQTT-4.4.0-1].
 *
 * Readings wait in an outbox as spans (how many, measured when), not as objects; their ids and
 * sequence numbers are given when they are sent, in order.
 */
import { connect as netConnect, type Socket } from 'node:net';
import type { FleetResident } from '../fleet/plan.js';
import { DUP_FLAG, type GatewayPackets } from './packets.js';

const CONNACK = 2;
const PUBACK = 4;
const PINGREQ = Buffer.from([0xc0, 0x00]);
const DISCONNECT = Buffer.from([0xe0, 0x00]);
/** CONNACK return code 3: the broker cannot serve the client now; try again. */
const SERVER_UNAVAILABLE = 3;

export interface RawGatewayOptions {
  host: string;
  port: number;
  password: string;
  keepaliveSeconds: number;
  announce: boolean;
  /** Routine batches awaiting PUBACK at once. */
  window: number;
  batchMin: number;
  batchMax: number;
  reconnectMs: number;
}

interface InFlight {
  packet: Buffer;
  readings: number;
  urgent?: boolean;
}

interface Span {
  count: number;
  atMs: number;
  stepMs: number;
}

/** Counters shared by all the gateways of one worker. */
export interface Counters {
  taken: number;
  sent: number;
  acked: number;
  messagesAcked: number;
  connects: number;
  drops: number;
  /** PUBLISHes sent again (DUP) after a reconnect because their PUBACK had not come. */
  resent: number;
}

export const noCounters = (): Counters => ({
  taken: 0,
  sent: 0,
  acked: 0,
  messagesAcked: 0,
  connects: 0,
  drops: 0,
  resent: 0,
});

type State = 'idle' | 'connecting' | 'up' | 'closed';

const scratch = new Float64Array(512);
const scratchAt = (i: number): number => scratch[i]!;

export class RawGateway {
  #socket: Socket | null = null;
  #state: State = 'idle';
  /** Unacknowledged PUBLISHes by packet id, in the order sent. */
  readonly #inFlight = new Map<number, InFlight>();
  #routineInFlight = 0;
  #nextPacketId = 1;
  readonly #spans: Span[] = [];
  #spanHead = 0;
  queued = 0;
  /** Flat out: always a batch to send, measured when sent. */
  unlimited = false;
  /** The next sequence number: readings 0..seq-1 have been given ids and sent at least once. */
  seq = 0;
  acked = 0;
  #batchCycle = 0;
  #rx: Buffer | null = null;
  #lastSentMs = 0;
  #connectWaiters: ((ok: boolean) => void)[] = [];
  #reconnectTimer: NodeJS.Timeout | null = null;
  /** Keep connecting after a drop (false after goOffline/close until connect is called). */
  #wanted = false;

  constructor(
    readonly packets: GatewayPackets,
    private readonly options: RawGatewayOptions,
    private readonly counters: Counters,
  ) {
    this.#batchCycle = packets.gateway.index;
  }

  get connected(): boolean {
    return this.#state === 'up';
  }

  get pending(): number {
    return this.queued + this.#inFlightReadings();
  }

  #inFlightReadings(): number {
    let n = 0;
    for (const f of this.#inFlight.values()) n += f.readings;
    return n;
  }

  /** Connects; resolves true on CONNACK 0, false on a refusal (bad credentials) or `attempts` failures. */
  connect(attempts = 20): Promise<boolean> {
    this.#wanted = true;
    if (this.#state === 'up') return Promise.resolve(true);
    const done = new Promise<boolean>((resolve) => this.#connectWaiters.push(resolve));
    if (this.#state !== 'connecting') this.#open(attempts);
    return done;
  }

  #settle(ok: boolean): void {
    const waiters = this.#connectWaiters;
    this.#connectWaiters = [];
    for (const w of waiters) w(ok);
  }

  #open(attemptsLeft: number): void {
    this.#state = 'connecting';
    this.#rx = null;
    const socket = netConnect({ host: this.options.host, port: this.options.port, noDelay: true });
    this.#socket = socket;
    let failed = false;
    const retry = () => {
      if (failed) return;
      failed = true;
      socket.destroy();
      if (this.#socket !== socket) return;
      this.#socket = null;
      if (!this.#wanted) {
        this.#state = 'idle';
        this.#settle(false);
        return;
      }
      if (this.#state === 'up') {
        this.counters.drops++;
        this.#requeueAfterDrop();
      }
      this.#state = 'idle';
      if (attemptsLeft <= 1 && this.#connectWaiters.length > 0) {
        this.#settle(false);
        return;
      }
      const delay = this.options.reconnectMs * (0.5 + Math.random());
      this.#reconnectTimer = setTimeout(() => {
        this.#reconnectTimer = null;
        if (this.#wanted && this.#state === 'idle') this.#open(Math.max(1, attemptsLeft - 1));
      }, delay);
    };
    socket.on('connect', () => {
      socket.write(
        this.packets.connect(this.options.password, this.options.keepaliveSeconds, this.options.announce),
      );
    });
    socket.on('data', (chunk: Buffer) => this.#onData(socket, chunk, retry));
    socket.on('error', () => {});
    socket.on('close', retry);
  }

  /** Routine batches in flight go back to being in flight on the next connection (same bytes, DUP). */
  #requeueAfterDrop(): void {
    for (const f of this.#inFlight.values()) f.packet[0]! |= DUP_FLAG;
  }

  #onData(socket: Socket, chunk: Buffer, retry: () => void): void {
    const buf = this.#rx ? Buffer.concat([this.#rx, chunk]) : chunk;
    let at = 0;
    while (at + 2 <= buf.length) {
      let length = 0;
      let multiplier = 1;
      let i = at + 1;
      let byte: number;
      let complete = true;
      do {
        if (i >= buf.length) {
          complete = false;
          break;
        }
        byte = buf[i++]!;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
      } while (byte & 0x80);
      if (!complete || i + length > buf.length) break;
      const type = buf[at]! >> 4;
      if (type === PUBACK) this.#onPuback((buf[i]! << 8) | buf[i + 1]!);
      else if (type === CONNACK) {
        const code = buf[i + 1]!;
        if (code === 0) this.#onConnected(socket);
        else if (code === SERVER_UNAVAILABLE) return retry();
        else {
          this.#wanted = false;
          this.#settle(false);
          return retry();
        }
      }
      at = i + length;
    }
    this.#rx = at < buf.length ? Buffer.from(buf.subarray(at)) : null;
  }

  #onConnected(socket: Socket): void {
    this.#state = 'up';
    this.counters.connects++;
    this.#lastSentMs = performance.now();
    // Unacknowledged PUBLISHes first, in the order they were sent, with their packet ids.
    for (const f of this.#inFlight.values()) {
      socket.write(f.packet);
      this.counters.resent++;
    }
    if (this.options.announce) {
      const id = this.#packetId();
      const packet = this.packets.online(id);
      this.#inFlight.set(id, { packet, readings: 0 });
      socket.write(packet);
    }
    this.#settle(true);
    this.pump();
  }

  #onPuback(id: number): void {
    const f = this.#inFlight.get(id);
    if (!f) return;
    this.#inFlight.delete(id);
    if (f.readings > 0) {
      this.acked += f.readings;
      this.counters.acked += f.readings;
      this.counters.messagesAcked++;
    }
    if (f.urgent !== true && f.readings > 0) this.#routineInFlight--;
    this.pump();
  }

  #packetId(): number {
    for (;;) {
      const id = this.#nextPacketId;
      this.#nextPacketId = id === 65_535 ? 1 : id + 1;
      if (!this.#inFlight.has(id)) return id;
    }
  }

  /** Takes `count` readings measured from `atMs`, `stepMs` apart, into the outbox. */
  take(count: number, atMs: number, stepMs = 0): void {
    if (count <= 0) return;
    this.counters.taken += count;
    this.queued += count;
    const last = this.#spans[this.#spans.length - 1];
    if (
      last &&
      this.#spans.length > this.#spanHead &&
      stepMs === 0 &&
      last.stepMs === 0 &&
      last.atMs === atMs
    )
      last.count += count;
    else this.#spans.push({ count, atMs, stepMs });
  }

  #nextBatchSize(): number {
    const { batchMin, batchMax } = this.options;
    const size = batchMin + (this.#batchCycle++ % (batchMax - batchMin + 1));
    return Math.min(size, scratch.length);
  }

  /** Sends what the window allows. */
  pump(): void {
    const socket = this.#socket;
    if (this.#state !== 'up' || !socket) return;
    while (this.#routineInFlight < this.options.window && (this.unlimited || this.queued > 0)) {
      let n = this.#nextBatchSize();
      const now = Date.now();
      if (this.unlimited && this.queued === 0) {
        scratch.fill(now, 0, n);
        this.counters.taken += n;
      } else {
        n = Math.min(n, this.queued);
        this.#fillTimes(n);
        this.queued -= n;
      }
      const id = this.#packetId();
      const packet = this.packets.routine(n, this.seq, scratchAt, now, id);
      this.seq += n;
      this.#inFlight.set(id, { packet, readings: n });
      this.#routineInFlight++;
      this.counters.sent += n;
      this.#lastSentMs = performance.now();
      socket.write(packet);
    }
  }

  #fillTimes(n: number): void {
    let filled = 0;
    while (filled < n) {
      const span = this.#spans[this.#spanHead]!;
      const k = Math.min(span.count, n - filled);
      for (let i = 0; i < k; i++) scratch[filled + i] = Math.round(span.atMs + i * span.stepMs);
      filled += k;
      span.count -= k;
      span.atMs += k * span.stepMs;
      if (span.count === 0) this.#spanHead++;
    }
    if (this.#spanHead > 64 && this.#spanHead * 2 > this.#spans.length) {
      this.#spans.splice(0, this.#spanHead);
      this.#spanHead = 0;
    }
  }

  /** A fall on the urgent lane, sent now whatever is in flight (queued while offline). */
  fall(resident: FleetResident, measuredAtMs: number): { id: string; deviceId: string } {
    const id = this.#packetId();
    const { packet, observation } = this.packets.fall(resident, this.seq++, measuredAtMs, id);
    this.counters.taken++;
    this.counters.sent++;
    this.#inFlight.set(id, { packet, readings: 1, urgent: true });
    if (this.#state === 'up') this.#socket?.write(packet);
    return { id: observation.id, deviceId: observation.deviceId };
  }

  /** PINGREQ if nothing was sent for half the keep-alive. */
  keepAlive(nowMs: number): void {
    if (this.#state === 'up' && nowMs - this.#lastSentMs > (this.options.keepaliveSeconds * 1000) / 2) {
      this.#lastSentMs = nowMs;
      this.#socket?.write(PINGREQ);
    }
  }

  /** Drops off the network without a goodbye (the broker publishes the will); readings keep queueing. */
  goOffline(): void {
    this.#wanted = false;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    const socket = this.#socket;
    this.#socket = null;
    if (this.#state === 'up') this.#requeueAfterDrop();
    this.#state = 'idle';
    socket?.destroy();
    this.#settle(false);
  }

  /** DISCONNECT and close (no will). */
  close(): Promise<void> {
    this.#wanted = false;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    const socket = this.#socket;
    this.#socket = null;
    this.#state = 'closed';
    this.#settle(false);
    if (!socket || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.end(DISCONNECT);
      setTimeout(() => socket.destroy(), 2000).unref();
    });
  }
}
