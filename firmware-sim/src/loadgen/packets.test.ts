import { Channel, gatewayTopic, parseObservationBatch } from '@wardline/protocol';
import mqttPacket, { type IPublishPacket, type Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { FleetReadings, planFleet } from '../fleet/index.js';
import { DUP_FLAG, GatewayPackets, idPrefix, readingId } from './packets.js';

function parse(buffer: Buffer): Packet[] {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const packets: Packet[] = [];
  parser.on('packet', (p: Packet) => packets.push(p));
  parser.on('error', (err: Error) => {
    throw err;
  });
  parser.parse(buffer);
  return packets;
}

describe('load generator packets', () => {
  const plan = planFleet({ gateways: 3, residentsPerGateway: 5, seed: 9 });
  const gateway = plan.gateways[1]!;
  const packets = new GatewayPackets(gateway, new FleetReadings(plan), 'salt');
  const NOW = Date.UTC(2026, 10, 29, 12, 0, 0, 0);

  it('builds QoS 1 PUBLISHes that mqtt-packet parses, of contract-valid batches with ids, seqs and times patched', () => {
    const sizes = [1, 5, 3, 100, 2];
    let seq = 0;
    const ids = new Set<string>();
    for (const [n, size] of sizes.entries()) {
      const packet = packets.routine(size, seq, (i) => NOW - 60_000 + i * 1000, NOW + n, 40_000 + n);
      const [parsed, ...rest] = parse(packet) as IPublishPacket[];
      expect(rest).toHaveLength(0);
      expect(parsed).toMatchObject({
        cmd: 'publish',
        qos: 1,
        dup: false,
        retain: false,
        messageId: 40_000 + n,
        topic: gatewayTopic(gateway, Channel.observations),
      });
      const body = JSON.parse(parsed!.payload.toString()) as { sentAt: string; observations: unknown[] };
      expect(body.sentAt).toBe(new Date(NOW + n).toISOString());
      const result = parseObservationBatch(body, { now: NOW });
      expect(result.ok).toBe(true);
      if (!result.ok) continue;
      expect(result.value.results.every((r) => r.result.ok)).toBe(true);
      const observations = body.observations as {
        id: string;
        seq: number;
        measuredAt: string;
        deviceId: string;
      }[];
      expect(observations.map((o) => o.seq)).toEqual(Array.from({ length: size }, (_, i) => seq + i));
      expect(observations.map((o) => o.measuredAt)).toEqual(
        Array.from({ length: size }, (_, i) => new Date(NOW - 60_000 + i * 1000).toISOString()),
      );
      for (const o of observations) {
        expect(o.id).toBe(readingId(packets.prefix, o.seq));
        ids.add(o.id);
        expect(gateway.residents.some((r) => r.devices.some((d) => d.id === o.deviceId))).toBe(true);
      }
      seq += size;
    }
    expect(ids.size).toBe(seq);
  });

  it('writes the same bytes mqtt-packet would for the same publish, and a DUP copy that parses as one', () => {
    const packet = packets.routine(4, 123_456_789_012, () => NOW, NOW, 7);
    const parsed = parse(packet)[0] as IPublishPacket;
    expect(mqttPacket.generate({ ...parsed, dup: false })).toEqual(packet);
    const copy = Buffer.from(packet);
    copy[0]! |= DUP_FLAG;
    expect((parse(copy)[0] as IPublishPacket).dup).toBe(true);
    const seqs = (JSON.parse(parsed.payload.toString()) as { observations: { seq: number }[] }).observations;
    expect(seqs.map((o) => o.seq)).toEqual([
      123_456_789_012, 123_456_789_013, 123_456_789_014, 123_456_789_015,
    ]);
  });

  it('puts falls on the urgent topic and gives every gateway and salt its own ids', () => {
    const resident = gateway.residents[2]!;
    const { packet, observation } = packets.fall(resident, 17, NOW, 9);
    const parsed = parse(packet)[0] as IPublishPacket;
    expect(parsed.topic).toBe(gatewayTopic(gateway, Channel.urgent));
    expect(observation).toMatchObject({ kind: 'fall', seq: 17, id: readingId(packets.prefix, 17) });
    expect(parseObservationBatch(JSON.parse(parsed.payload.toString()), { now: NOW }).ok).toBe(true);
    const prefixes = new Set(plan.gateways.flatMap((g) => [idPrefix('a', g.index), idPrefix('b', g.index)]));
    expect(prefixes.size).toBe(plan.gateways.length * 2);
  });
});
