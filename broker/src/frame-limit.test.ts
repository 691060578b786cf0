import { once } from 'node:events';
import { createServer, connect as connectTcp, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  FrameLimitedConnection,
  FrameScanner,
  FrameTooLargeError,
  MalformedFrameError,
} from './frame-limit.js';

/** Section 2.2.3: seven bits per byte, high bit set while more bytes follow. */
function remainingLength(length: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return bytes;
}

/** A QoS 0 PUBLISH to topic "t": 2 + 1 bytes of topic, then the payload. */
function publish(payloadBytes: number): Buffer {
  const body = Buffer.concat([Buffer.of(0x00, 0x01, 0x74), Buffer.alloc(payloadBytes)]);
  return Buffer.concat([Buffer.of(0x30, ...remainingLength(body.length)), body]);
}
const ping = Buffer.of(0xc0, 0x00);

describe('FrameScanner', () => {
  it('lets packets up to the limit through, whole or split into single bytes', () => {
    const stream = Buffer.concat([publish(10), ping, publish(200), ping]);
    expect(new FrameScanner(203).scan(stream)).toBeNull();
    const scanner = new FrameScanner(203);
    for (const byte of stream) expect(scanner.scan(Buffer.of(byte))).toBeNull();
  });

  it('stops at the first packet whose announced length exceeds the limit', () => {
    // topic length (2) + topic (1) + payload
    const error = new FrameScanner(203).scan(Buffer.concat([ping, publish(201)]));
    expect(error).toBeInstanceOf(FrameTooLargeError);
    expect((error as FrameTooLargeError).remainingLength).toBe(204);
  });

  it('decides from the header alone, before the body arrives', () => {
    const scanner = new FrameScanner(1024);
    // A CONNECT announcing 268,435,455 bytes [MQTT-2.2.3]: nothing of it has been sent yet.
    expect(scanner.scan(Buffer.of(0x10, 0xff, 0xff))).toBeNull();
    expect(scanner.scan(Buffer.of(0xff, 0x7f))).toBeInstanceOf(FrameTooLargeError);
  });

  it('follows packet boundaries when a chunk ends inside a body', () => {
    const scanner = new FrameScanner(300);
    const big = publish(250);
    expect(scanner.scan(big.subarray(0, 100))).toBeNull();
    expect(scanner.scan(Buffer.concat([big.subarray(100), publish(10)]))).toBeNull();
    expect(scanner.scan(publish(400))).toBeInstanceOf(FrameTooLargeError);
  });

  it('rejects a remaining length longer than four bytes', () => {
    expect(new FrameScanner(1024).scan(Buffer.of(0x30, 0x80, 0x80, 0x80, 0x80, 0x01))).toBeInstanceOf(
      MalformedFrameError,
    );
  });
});

describe('FrameLimitedConnection', () => {
  it('stops taking bytes from the socket while reading is paused, and takes them all on resume', async () => {
    let accepted!: (socket: Socket) => void;
    const arrived = new Promise<Socket>((resolve) => (accepted = resolve));
    const server = createServer((socket) => accepted(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const sender = connectTcp((server.address() as AddressInfo).port, '127.0.0.1');
    const connection = new FrameLimitedConnection(await arrived, 1024);
    const received: Buffer[] = [];
    connection.on('data', (chunk: Buffer) => received.push(chunk));
    try {
      connection.pauseReading();
      sender.write(Buffer.concat([publish(10), ping]));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(received).toEqual([]);

      connection.resumeReading();
      await once(connection, 'data');
      expect(Buffer.concat(received)).toEqual(Buffer.concat([publish(10), ping]));
    } finally {
      sender.destroy();
      connection.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
