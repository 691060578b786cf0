/**
 * Pre-encoded MQTT packets for the load generator. Each gateway's readings are built once, as
 * contract JSON with fixed-width fields (the id's last 12 hex digits, `seq` padded with spaces,
 * `measuredAt` as a 24-character UTC time), and the PUBLISH's variable header (topic, packet id)
 * once by mqtt-packet; a batch is then the header, the templates copied one after another and
 * those fields patched in place. No JSON.stringify and no object per reading.
 *
 * What the broker and server see is what a gateway sends: a QoS 1 PUBLISH on the gateway's own
 * topic of an observation batch (`{"v":1,"sentAt":...,"observations":[...]}`) whose observations
 * have unique UUIDs, registered device ids and the gateway's increasing sequence numbers.
 */
import {
  Channel,
  OBSERVATION_BATCH_VERSION,
  STATUS_VERSION,
  gatewayTopic,
  type Observation,
} from '@wardline/protocol';
import mqttPacket from 'mqtt-packet';
import { createHash } from 'node:crypto';
import type { FleetGateway, FleetResident } from '../fleet/plan.js';
import type { FleetReadings } from '../fleet/readings.js';

/** Width of the space-padded `seq` field: MAX_SEQ (2^48) has 15 digits. */
const SEQ_WIDTH = 15;
const ISO_WIDTH = 24;
const ID_SEQ_HEX = 12;
const PUBLISH_QOS1 = 0x32;
export const DUP_FLAG = 0x08;

const HEX = Buffer.from('0123456789abcdef', 'latin1');
const SPACE = 0x20;
const ZERO = 0x30;

/**
 * The first 24 characters of a gateway's reading ids (`xxxxxxxx-xxxx-4xxx-yxxx-`); the last 12 are
 * the reading's sequence number in hex. Unique per (salt, gateway), so a run's ids are unique across
 * the fleet and, with a fresh salt, across runs.
 */
export function idPrefix(salt: string, gatewayIndex: number): string {
  const bytes = createHash('sha256').update(`wardline-loadgen:${salt}:${gatewayIndex}`).digest();
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.subarray(0, 10).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-`;
}

/** The id of a gateway's reading `seq`, as the generator writes it. */
export function readingId(prefix: string, seq: number): string {
  return prefix + seq.toString(16).padStart(ID_SEQ_HEX, '0');
}

interface ReadingTemplate {
  bytes: Buffer;
  /** Offsets within `bytes` of the id's last 12 hex digits, the seq field and measuredAt. */
  idSeq: number;
  seq: number;
  measuredAt: number;
}

function readingTemplate(prefix: string, o: Observation): ReadingTemplate {
  const head = `{"id":"${prefix}`;
  const idSeq = head.length;
  const afterId = `${'0'.repeat(ID_SEQ_HEX)}","deviceId":${JSON.stringify(o.deviceId)},"measuredAt":"`;
  const measuredAt = idSeq + afterId.length;
  const afterTime = `${'0'.repeat(ISO_WIDTH)}","seq":`;
  const seq = measuredAt + afterTime.length;
  const rest = `${' '.repeat(SEQ_WIDTH)},"kind":${JSON.stringify(o.kind)},"values":${JSON.stringify(o.values)}}`;
  const text = head + afterId + afterTime + rest;
  return { bytes: Buffer.from(text, 'utf8'), idSeq, seq, measuredAt };
}

/** The ASCII of a UTC time at millisecond precision, cached for the last time asked. */
export class IsoClock {
  #ms = NaN;
  readonly bytes = Buffer.alloc(ISO_WIDTH);
  at(ms: number): Buffer {
    if (ms !== this.#ms) {
      this.#ms = ms;
      this.bytes.write(new Date(ms).toISOString(), 0, 'latin1');
    }
    return this.bytes;
  }
}

function writeSeq(buf: Buffer, at: number, seq: number): void {
  let i = at + SEQ_WIDTH - 1;
  let n = seq;
  do {
    buf[i--] = ZERO + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  while (i >= at) buf[i--] = SPACE;
}

function writeIdSeq(buf: Buffer, at: number, seq: number): void {
  let hi = Math.floor(seq / 0x1000000);
  let lo = seq % 0x1000000;
  for (let i = at + ID_SEQ_HEX - 1; i >= at + 6; i--) {
    buf[i] = HEX[lo & 0xf]!;
    lo >>>= 4;
  }
  for (let i = at + 5; i >= at; i--) {
    buf[i] = HEX[hi & 0xf]!;
    hi >>>= 4;
  }
}

/** Bytes of MQTT's variable-length "remaining length" [MQTT-2.2.3]. */
function remainingLengthBytes(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

function writeRemainingLength(buf: Buffer, at: number, n: number): number {
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    buf[at++] = byte;
  } while (n > 0);
  return at;
}

const BATCH_HEAD = Buffer.from(`{"v":${OBSERVATION_BATCH_VERSION},"sentAt":"`, 'latin1');
const BATCH_MID = Buffer.from(`${'0'.repeat(ISO_WIDTH)}","observations":[`, 'latin1');
const BATCH_TAIL = Buffer.from(']}', 'latin1');
const COMMA = 0x2c;

/** Where each reading of a batch was measured: `measuredAt(i)` in ms for the batch's i-th reading. */
export type MeasuredAt = (i: number) => number;

/**
 * One gateway's packets: routine readings cycle through its devices (templates taken from the
 * fleet's realistic readings), each batch a QoS 1 PUBLISH on its `obs` topic.
 */
export class GatewayPackets {
  readonly #templates: ReadingTemplate[];
  #cursor = 0;
  /** The PUBLISH variable header (topic length, topic) without the packet id. */
  readonly #topicHeader: Buffer;
  readonly #urgentTopic: string;
  readonly #statusTopic: string;
  readonly prefix: string;
  readonly #clock = new IsoClock();
  readonly #sentClock = new IsoClock();

  constructor(
    readonly gateway: FleetGateway,
    readings: FleetReadings,
    salt: string,
    /** How many readings of each routine device to keep as templates (their values differ). */
    variants = 2,
  ) {
    this.prefix = idPrefix(salt, gateway.index);
    const devices = gateway.residents.reduce(
      (n, r) => n + r.devices.filter((d) => d.model !== 'falls-sensor').length,
      0,
    );
    const now = Date.now();
    this.#templates = Array.from({ length: Math.max(1, devices) * variants }, () =>
      readingTemplate(this.prefix, readings.routine(gateway, now)),
    );
    const topic = gatewayTopic(gateway, Channel.observations);
    this.#urgentTopic = gatewayTopic(gateway, Channel.urgent);
    this.#statusTopic = gatewayTopic(gateway, Channel.status);
    // mqtt-packet encodes the topic; we keep its bytes between the fixed header and the packet id.
    const probe = mqttPacket.generate({
      cmd: 'publish',
      topic,
      payload: Buffer.alloc(0),
      qos: 1,
      messageId: 1,
      dup: false,
      retain: false,
    });
    const fixed = 1 + remainingLengthBytes(probe.length - 2);
    this.#topicHeader = Buffer.from(probe.subarray(fixed, probe.length - 2));
  }

  /**
   * A routine batch of `count` readings numbered from `firstSeq`, measured at `measuredAt(i)`,
   * sent at `sentAtMs`, as a PUBLISH with packet id `packetId`: a fresh Buffer (it stays the
   * in-flight copy until its PUBACK and is sent again as it was after a reconnect).
   */
  routine(
    count: number,
    firstSeq: number,
    measuredAt: MeasuredAt,
    sentAtMs: number,
    packetId: number,
  ): Buffer {
    const templates = this.#templates;
    let cursor = this.#cursor;
    let payload = BATCH_HEAD.length + BATCH_MID.length + BATCH_TAIL.length + (count - 1);
    for (let i = 0; i < count; i++) payload += templates[(cursor + i) % templates.length]!.bytes.length;
    const remaining = this.#topicHeader.length + 2 + payload;
    const buf = Buffer.allocUnsafe(1 + remainingLengthBytes(remaining) + remaining);
    buf[0] = PUBLISH_QOS1;
    let at = writeRemainingLength(buf, 1, remaining);
    at += this.#topicHeader.copy(buf, at);
    buf[at++] = packetId >> 8;
    buf[at++] = packetId & 0xff;
    at += BATCH_HEAD.copy(buf, at);
    BATCH_MID.copy(buf, at);
    this.#sentClock.at(sentAtMs).copy(buf, at);
    at += BATCH_MID.length;
    for (let i = 0; i < count; i++) {
      if (i > 0) buf[at++] = COMMA;
      const t = templates[cursor]!;
      cursor = cursor + 1 === templates.length ? 0 : cursor + 1;
      t.bytes.copy(buf, at);
      const seq = firstSeq + i;
      writeIdSeq(buf, at + t.idSeq, seq);
      writeSeq(buf, at + t.seq, seq);
      this.#clock.at(measuredAt(i)).copy(buf, at + t.measuredAt);
      at += t.bytes.length;
    }
    BATCH_TAIL.copy(buf, at);
    this.#cursor = cursor;
    return buf;
  }

  /** A fall (urgent lane) on the resident's falls sensor: rare, so built with JSON.stringify. */
  fall(
    resident: FleetResident,
    seq: number,
    measuredAtMs: number,
    packetId: number,
  ): { packet: Buffer; observation: Observation } {
    const sensor = resident.devices.find((d) => d.model === 'falls-sensor');
    if (!sensor) throw new Error(`resident ${resident.index} has no falls sensor`);
    const observation: Observation = {
      id: readingId(this.prefix, seq),
      deviceId: sensor.id,
      measuredAt: new Date(measuredAtMs).toISOString(),
      seq,
      kind: 'fall',
      values: { confidence: { value: 92, unit: '%' } },
    };
    const payload = JSON.stringify({
      v: OBSERVATION_BATCH_VERSION,
      sentAt: new Date().toISOString(),
      observations: [observation],
    });
    const packet = mqttPacket.generate({
      cmd: 'publish',
      topic: this.#urgentTopic,
      payload: Buffer.from(payload),
      qos: 1,
      messageId: packetId,
      dup: false,
      retain: false,
    });
    return { packet, observation };
  }

  /** The retained online status a gateway publishes on connect. */
  online(packetId: number): Buffer {
    return mqttPacket.generate({
      cmd: 'publish',
      topic: this.#statusTopic,
      payload: Buffer.from(this.#status('online')),
      qos: 1,
      messageId: packetId,
      dup: false,
      retain: true,
    });
  }

  /** CONNECT as the gateway: its own client id and credentials, a persistent session, a will. */
  connect(password: string, keepaliveSeconds: number, announce: boolean): Buffer {
    const { username } = this.gateway;
    return mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId: username,
      username,
      password: Buffer.from(password),
      clean: false,
      keepalive: keepaliveSeconds,
      ...(announce
        ? {
            will: {
              topic: this.#statusTopic,
              payload: Buffer.from(this.#status('offline')),
              qos: 1,
              retain: true,
            },
          }
        : {}),
    });
  }

  #status(state: 'online' | 'offline'): string {
    return JSON.stringify({ v: STATUS_VERSION, state, at: new Date().toISOString() });
  }
}
