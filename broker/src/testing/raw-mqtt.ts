/**
 * Hand-made MQTT 3.1.1 CONNECTs over plain TCP, for tests that open thousands of connections: far
 * lighter than thousands of mqtt.js clients, and exact about what is sent.
 */
import { connect as connectTcp, type Socket } from 'node:net';

export interface RawConnectOptions {
  clientId: string;
  username: string;
  password: string;
  clean?: boolean;
}

export interface RawConnection {
  socket: Socket;
  /** The CONNACK return code, or null when the broker closed the connection without one. */
  returnCode: Promise<number | null>;
  /** Resolves when the connection has closed, from either end. */
  closed: Promise<void>;
}

/** Section 3.1: fixed header, protocol name and level 4, flags, keep-alive 0 (off), then the payload. */
export function connectPacket({ clientId, username, password, clean = true }: RawConnectOptions): Buffer {
  const flags = 0x80 | 0x40 | (clean ? 0x02 : 0);
  const variableHeader = Buffer.concat([utf8('MQTT'), Buffer.from([4, flags, 0, 0])]);
  const body = Buffer.concat([variableHeader, utf8(clientId), utf8(username), utf8(password)]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

export function rawConnect(port: number, options: RawConnectOptions): RawConnection {
  const socket = connectTcp(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(connectPacket(options));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const returnCode = new Promise<number | null>((resolve) => {
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      // CONNACK: 0x20, remaining length 2, session present flag, return code.
      if (received.length >= 4 && received[0] === 0x20) resolve(received[3]!);
    });
    socket.once('close', () => resolve(null));
  });
  return { socket, returnCode, closed };
}

function utf8(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function remainingLength(length: number): Buffer {
  const bytes: number[] = [];
  let rest = length;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest > 0);
  return Buffer.from(bytes);
}
