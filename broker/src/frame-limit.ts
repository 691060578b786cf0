import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { OutgoingFrames, PubackGate } from './puback-after-store.js';

/**
 * The MQTT parser buffers a whole packet before anyone can look at it, and a packet may claim up to
 * 256 MiB [MQTT-2.2.3]. Before authentication, a few such CONNECTs would exhaust memory. This
 * wrapper reads only the fixed headers as bytes go by and closes the connection as soon as a packet
 * announces a remaining length above the limit.
 */
export class FrameTooLargeError extends Error {
  readonly remainingLength: number;

  constructor(remainingLength: number, limit: number) {
    super(`MQTT packet of ${remainingLength} bytes exceeds the broker limit of ${limit}`);
    this.name = 'FrameTooLargeError';
    this.remainingLength = remainingLength;
  }
}

export class MalformedFrameError extends Error {
  constructor() {
    // Section 2.2.3: the remaining length takes at most four bytes.
    super('malformed MQTT remaining length');
    this.name = 'MalformedFrameError';
  }
}

/**
 * Follows packet boundaries across chunks. Returns an error for the first oversize or malformed
 * packet; the scanner must not be used after that.
 */
export class FrameScanner {
  readonly #limit: number;
  #state: 'header' | 'length' | 'body' = 'header';
  #length = 0;
  #lengthBytes = 0;
  #multiplier = 1;
  #bodyLeft = 0;

  constructor(maxRemainingLength: number) {
    this.#limit = maxRemainingLength;
  }

  scan(chunk: Uint8Array): Error | null {
    let index = 0;
    while (index < chunk.length) {
      if (this.#state === 'header') {
        index += 1;
        this.#state = 'length';
        this.#length = 0;
        this.#lengthBytes = 0;
        this.#multiplier = 1;
      } else if (this.#state === 'length') {
        const byte = chunk[index] as number;
        index += 1;
        this.#length += (byte & 0x7f) * this.#multiplier;
        this.#multiplier *= 128;
        this.#lengthBytes += 1;
        if (byte & 0x80) {
          if (this.#lengthBytes === 4) return new MalformedFrameError();
          continue;
        }
        if (this.#length > this.#limit) return new FrameTooLargeError(this.#length, this.#limit);
        this.#bodyLeft = this.#length;
        this.#state = this.#bodyLeft === 0 ? 'header' : 'body';
      } else {
        const skipped = Math.min(this.#bodyLeft, chunk.length - index);
        index += skipped;
        this.#bodyLeft -= skipped;
        if (this.#bodyLeft === 0) this.#state = 'header';
      }
    }
    return null;
  }
}

/** The stream aedes reads from and writes to in place of the raw (TCP or TLS) socket. */
export class FrameLimitedConnection extends Duplex {
  readonly #socket: Socket;
  readonly #scanner: FrameScanner;
  /** Set by the publish throttle: the socket stays paused whatever aedes asks for. */
  #held = false;
  /** aedes has room for more (it called _read since the last push refused). */
  #wanted = true;
  readonly #outgoing = new OutgoingFrames();
  readonly #pubacks: PubackGate;

  constructor(socket: Socket, maxRemainingLength: number) {
    super({ allowHalfOpen: false });
    this.#socket = socket;
    this.#scanner = new FrameScanner(maxRemainingLength);
    this.#pubacks = new PubackGate((bytes) => socket.write(bytes));

    socket.on('data', (chunk: Buffer) => {
      const error = this.#scanner.scan(chunk);
      if (error) {
        this.destroy(error);
        return;
      }
      if (!this.push(chunk)) {
        this.#wanted = false;
        socket.pause();
      }
    });
    socket.on('end', () => this.push(null));
    // The socket keeps this listener for life: a late reset on a closed connection must not be an
    // unhandled 'error' that takes the process down.
    socket.on('error', (error) => this.destroy(error));
    socket.on('close', () => this.destroy());
  }

  get remoteAddress(): string | undefined {
    return this.#socket.remoteAddress;
  }

  /**
   * Stops reading the socket: bytes wait in the kernel, then in the sender's TCP window. aedes
   * reads the next chunk only once every packet of the last one is handled, but a 'readable' event
   * meanwhile lets it read one packet early each time, so on its own it would not hold a flood.
   */
  pauseReading(): void {
    this.#held = true;
    this.#socket.pause();
  }

  resumeReading(): void {
    this.#held = false;
    if (this.#wanted) this.#socket.resume();
  }

  override _read(): void {
    this.#wanted = true;
    if (!this.#held) this.#socket.resume();
  }

  /** The broker stored the message this connection published with this packet id: its PUBACK may go. */
  messageStored(packetId: number): void {
    this.#pubacks.stored(packetId, this.#outgoing.atBoundary);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#send(chunk, callback);
  }

  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    callback: (error?: Error | null) => void,
  ): void {
    this.#send(Buffer.concat(chunks.map(({ chunk }) => chunk)), callback);
  }

  /** Everything goes to the socket as it comes, except PUBACKs, held until their message is stored. */
  #send(chunk: Buffer, callback: (error?: Error | null) => void): void {
    let last: Buffer | null = null;
    for (const segment of this.#outgoing.scan(chunk)) {
      const bytes = 'pass' in segment ? segment.pass : segment.puback;
      if ('puback' in segment && this.#pubacks.hold(segment.id, segment.puback)) continue;
      if (last) this.#socket.write(last);
      last = bytes;
    }
    if (last) this.#socket.write(last, callback);
    else process.nextTick(callback);
    if (this.#outgoing.atBoundary) this.#pubacks.flush();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#socket.destroy();
    callback(error);
  }
}
