/**
 * The server's place in a bare-broker baseline, as cheap as it can be so that it is not the
 * limit: one raw MQTT connection with the server's persistent session (clean=false), QoS 1
 * subscriptions, a PUBACK for every PUBLISH (written once per chunk read), and readings counted
 * by the `"seq":` of each observation in the payload, without parsing the JSON.
 */
import mqttPacket from 'mqtt-packet';
import { connect, type Socket } from 'node:net';

const SEQ_KEY = Buffer.from('"seq":');
const PUBLISH = 3;
const CONNACK = 2;
const SUBACK = 9;

export interface CountingSubscriberOptions {
  clientId: string;
  username: string;
  password: string;
  topics: readonly string[];
}

export class CountingSubscriber {
  readings = 0;
  messages = 0;
  #rx: Buffer | null = null;
  #onConnack: ((code: number) => void) | null = null;
  #onSuback: (() => void) | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      if (process.env.DEBUG_SUBSCRIBER) console.error('subscriber closed', this.messages, this.readings);
    });
  }

  closed = false;

  static async connect(url: string, options: CountingSubscriberOptions): Promise<CountingSubscriber> {
    const { hostname, port } = new URL(url);
    const socket = connect({ host: hostname, port: Number(port || 1883), noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    const subscriber = new CountingSubscriber(socket);
    const code = await new Promise<number>((resolve) => {
      subscriber.#onConnack = resolve;
      socket.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clientId: options.clientId,
          username: options.username,
          password: Buffer.from(options.password),
          clean: false,
          keepalive: 0,
        }),
      );
    });
    if (code !== 0) throw new Error(`subscriber refused: CONNACK ${code}`);
    await new Promise<void>((resolve) => {
      subscriber.#onSuback = resolve;
      socket.write(
        mqttPacket.generate({
          cmd: 'subscribe',
          messageId: 1,
          subscriptions: options.topics.map((topic) => ({ topic, qos: 1 as const })),
        }),
      );
    });
    return subscriber;
  }

  #onData(chunk: Buffer): void {
    const buf = this.#rx ? Buffer.concat([this.#rx, chunk]) : chunk;
    const acks: number[] = [];
    let at = 0;
    while (at + 2 <= buf.length) {
      let length = 0;
      let multiplier = 1;
      let i = at + 1;
      let byte = 0x80;
      while (byte & 0x80) {
        if (i >= buf.length) break;
        byte = buf[i++]!;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
      }
      if (byte & 0x80 || i + length > buf.length) break;
      const first = buf[at]!;
      const type = first >> 4;
      const end = i + length;
      if (type === PUBLISH) {
        const qos = (first >> 1) & 3;
        const topicLength = (buf[i]! << 8) | buf[i + 1]!;
        let p = i + 2 + topicLength;
        if (qos > 0) {
          acks.push((buf[p]! << 8) | buf[p + 1]!);
          p += 2;
        }
        this.messages++;
        const payload = buf.subarray(p, end);
        for (let k = payload.indexOf(SEQ_KEY); k !== -1; k = payload.indexOf(SEQ_KEY, k + SEQ_KEY.length))
          this.readings++;
      } else if (type === CONNACK) this.#onConnack?.(buf[i + 1]!);
      else if (type === SUBACK) this.#onSuback?.();
      at = end;
    }
    this.#rx = at < buf.length ? Buffer.from(buf.subarray(at)) : null;
    if (acks.length > 0) {
      const out = Buffer.allocUnsafe(acks.length * 4);
      acks.forEach((id, n) => {
        out[n * 4] = 0x40;
        out[n * 4 + 1] = 2;
        out[n * 4 + 2] = id >> 8;
        out[n * 4 + 3] = id & 0xff;
      });
      this.socket.write(out);
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end(Buffer.from([0xe0, 0x00]));
      setTimeout(() => this.socket.destroy(), 2000).unref();
    });
  }
}
