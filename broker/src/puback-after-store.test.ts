import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameLimitedConnection } from './frame-limit.js';
import { OutgoingFrames } from './puback-after-store.js';

const puback = (id: number) => Buffer.from([0x40, 0x02, id >> 8, id & 0xff]);
const pingresp = Buffer.from([0xd0, 0x00]);
/** A QoS 0 PUBLISH with a payload long enough to need a two-byte remaining length. */
function publish(bytes: number): Buffer {
  const topic = Buffer.from('t/x');
  const body = Buffer.concat([Buffer.from([0, topic.length]), topic, Buffer.alloc(bytes, 0x61)]);
  return Buffer.concat([Buffer.from([0x30, (body.length & 0x7f) | 0x80, body.length >> 7]), body]);
}

describe('outgoing frames', () => {
  it('finds each PUBACK whole and passes every other byte on, however the writes cut them', () => {
    const stream = Buffer.concat([publish(300), puback(7), pingresp, puback(513), publish(200)]);
    for (let cut = 1; cut < stream.length; cut++) {
      const frames = new OutgoingFrames();
      const segments = [...frames.scan(stream.subarray(0, cut)), ...frames.scan(stream.subarray(cut))];
      expect(frames.atBoundary).toBe(true);
      const ids = segments.flatMap((s) => ('puback' in s ? [s.id] : []));
      expect(ids, `cut at ${cut}`).toEqual([7, 513]);
      const passed = Buffer.concat(segments.flatMap((s) => ('pass' in s ? [s.pass] : [])));
      expect(passed.equals(Buffer.concat([publish(300), pingresp, publish(200)])), `cut at ${cut}`).toBe(
        true,
      );
    }
  });
});

describe('a connection holds PUBACKs until their messages are stored', () => {
  let close: () => void = () => undefined;
  afterEach(() => close());

  async function pair(): Promise<{ conn: FrameLimitedConnection; received: () => Buffer }> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const client = connect(port, '127.0.0.1');
    const [socket] = (await once(server, 'connection')) as [Socket];
    const chunks: Buffer[] = [];
    client.on('data', (c: Buffer) => chunks.push(c));
    close = () => {
      client.destroy();
      socket.destroy();
      server.close();
    };
    return { conn: new FrameLimitedConnection(socket, 1 << 20), received: () => Buffer.concat(chunks) };
  }
  const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

  it('sends other packets at once and PUBACKs in the order of their PUBLISHes, once each is stored', async () => {
    const { conn, received } = await pair();
    conn.write(puback(1));
    conn.write(pingresp);
    conn.write(puback(2));
    await settle();
    expect(received()).toEqual(pingresp); // not acknowledged before it is stored
    conn.messageStored(2);
    await settle();
    expect(received()).toEqual(pingresp); // 2 may not overtake 1
    conn.messageStored(1);
    await settle();
    expect(received()).toEqual(Buffer.concat([pingresp, puback(1), puback(2)]));
  });

  it('never writes a released PUBACK into the middle of another packet', async () => {
    const { conn, received } = await pair();
    const big = publish(1000);
    conn.write(puback(9));
    conn.write(big.subarray(0, 500));
    await settle();
    conn.messageStored(9);
    await settle();
    expect(received()).toEqual(big.subarray(0, 500));
    conn.write(big.subarray(500));
    await settle();
    expect(received()).toEqual(Buffer.concat([big, puback(9)]));
  });
});
