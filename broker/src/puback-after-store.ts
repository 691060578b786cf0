/**
 * aedes 1.2 answers a QoS 1 PUBLISH with its PUBACK first and stores the message for its
 * subscribers afterwards (lib/handlers/publish.js), so a broker killed in between acknowledges a
 * reading it never kept, and the gateway, told it was delivered, has already dropped it. Wardline's
 * promise is "durable before acknowledged": this holds each outgoing PUBACK on the connection until
 * the broker reports the message published (stored for every persistent subscription and handed
 * to the online ones: aedes's 'publish' event), and lets PUBACKs go in the order their PUBLISHes
 * came, as MQTT 3.1.1 §4.6 requires. Every other packet passes at once.
 *
 * aedes waits for the PUBACK's write callback before it stores the message, so the write is
 * reported done as soon as the PUBACK is held; only the bytes wait.
 */

const PUBACK = 0x40;
/** A PUBACK is 4 bytes (MQTT 3.1.1); an MQTT 5 one with a reason and properties stays small. */
const MAX_HELD_FRAME = 64;
/** Beyond this many held PUBACKs on one connection something is wrong: stop holding, never grow. */
const MAX_HELD = 65_535;

type Segment = { pass: Buffer } | { puback: Buffer; id: number };

/**
 * Splits outgoing bytes into whole PUBACK frames (captured) and everything else (passed through as
 * it comes, without copying), however the writes cut the frames.
 */
export class OutgoingFrames {
  #phase: 'type' | 'length' | 'body' = 'type';
  #capture: number[] | null = null;
  #remaining = 0;
  #multiplier = 1;

  /** Between two frames: a released PUBACK may be written now without splitting a frame. */
  get atBoundary(): boolean {
    return this.#phase === 'type';
  }

  scan(chunk: Buffer): Segment[] {
    const out: Segment[] = [];
    let passFrom = 0;
    let i = 0;
    const flushPass = (end: number) => {
      if (end > passFrom) out.push({ pass: chunk.subarray(passFrom, end) });
    };
    while (i < chunk.length) {
      const byte = chunk[i]!;
      if (this.#phase === 'type') {
        if ((byte & 0xf0) === PUBACK) {
          flushPass(i);
          this.#capture = [byte];
        } else this.#capture = null;
        this.#phase = 'length';
        this.#remaining = 0;
        this.#multiplier = 1;
        i++;
      } else if (this.#phase === 'length') {
        this.#capture?.push(byte);
        this.#remaining += (byte & 0x7f) * this.#multiplier;
        this.#multiplier *= 128;
        i++;
        if ((byte & 0x80) === 0) {
          if (this.#capture && this.#remaining + this.#capture.length > MAX_HELD_FRAME) {
            // Not a PUBACK we know: let it through as it is.
            out.push({ pass: Buffer.from(this.#capture) });
            this.#capture = null;
            passFrom = i;
          }
          this.#phase = this.#remaining === 0 ? 'type' : 'body';
          if (this.#phase === 'type') this.#endFrame(out, () => (passFrom = i));
        }
      } else {
        const take = Math.min(this.#remaining, chunk.length - i);
        if (this.#capture) for (let k = 0; k < take; k++) this.#capture.push(chunk[i + k]!);
        this.#remaining -= take;
        i += take;
        if (this.#remaining === 0) {
          this.#phase = 'type';
          this.#endFrame(out, () => (passFrom = i));
        }
      }
    }
    if (!this.#capture) flushPass(chunk.length);
    return out;
  }

  #endFrame(out: Segment[], resetPass: () => void): void {
    const frame = this.#capture;
    if (!frame) return;
    this.#capture = null;
    resetPass();
    const headerLength = frame.length - this.#bodyLength(frame);
    const id = frame.length >= headerLength + 2 ? (frame[headerLength]! << 8) | frame[headerLength + 1]! : -1;
    out.push(id < 0 ? { pass: Buffer.from(frame) } : { puback: Buffer.from(frame), id });
  }

  #bodyLength(frame: number[]): number {
    let value = 0;
    let multiplier = 1;
    for (let i = 1; i < frame.length; i++) {
      value += (frame[i]! & 0x7f) * multiplier;
      if ((frame[i]! & 0x80) === 0) break;
      multiplier *= 128;
    }
    return value;
  }
}

/** The PUBACKs one connection holds, released in the order they were written. */
export class PubackGate {
  readonly #held: { id: number; bytes: Buffer; stored: boolean }[] = [];
  readonly #write: (bytes: Buffer) => void;

  constructor(write: (bytes: Buffer) => void) {
    this.#write = write;
  }

  get holding(): number {
    return this.#held.length;
  }

  /** false: too many held already; the caller writes the PUBACK at once (never unbounded growth). */
  hold(id: number, bytes: Buffer): boolean {
    if (this.#held.length >= MAX_HELD) return false;
    this.#held.push({ id, bytes, stored: false });
    return true;
  }

  /** The message with this packet id is stored; the PUBACKs now due go out if `canWrite`. */
  stored(id: number, canWrite: boolean): void {
    const entry = this.#held.find((h) => h.id === id && !h.stored);
    if (entry) entry.stored = true;
    if (canWrite) this.flush();
  }

  /** Writes the held PUBACKs from the oldest while their messages are stored. */
  flush(): void {
    while (this.#held.length > 0 && this.#held[0]!.stored) this.#write(this.#held.shift()!.bytes);
  }
}
