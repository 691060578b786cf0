/**
 * A hostile gateway under load: its own valid credentials and site, one connection (from
 * HOSTILE_ADDRESS) that reconnects by itself, and three things it does at once until stopped:
 * poison (on demand), spoofing other sites' devices (readings, falls, device statuses, twice a
 * second) and flooding its own topics with well-formed traffic as fast as the broker takes it
 * (QoS 1, many PUBLISHes in flight on both the routine and the urgent topic). Everything it
 * spoofed is remembered so that a test can check none of it had an effect.
 */
import type { FleetGateway, FleetResident } from '@wardline/firmware-sim';
import { Channel, type Observation } from '@wardline/protocol';
import type { MqttClient } from 'mqtt';
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  HOSTILE_ADDRESS,
  batch,
  bloodPressure,
  deviceOf,
  fall,
  mqttClient,
  poisonBatch,
  publishUntil,
  statusBatch,
  topicOf,
} from './attacks.js';

export const HOSTILE_CATEGORIES = [
  'poison',
  'spoofed readings',
  'spoofed falls',
  'spoofed statuses',
  'flood routine',
  'flood urgent',
] as const;
export type HostileCategory = (typeof HOSTILE_CATEGORIES)[number];

export interface HostileOptions {
  url: string;
  gateway: FleetGateway;
  password: string;
  /** Gateways of other sites whose devices it pretends to be. */
  victims: readonly FleetGateway[];
  /** Observations per routine flood batch; default 100, a real gateway's batch size. */
  floodBatchSize?: number;
  /** PUBLISHes kept in flight per topic while flooding. */
  floodLanes?: { routine: number; urgent: number };
  spoofEveryMs?: number;
}

export interface Poison {
  channel: Channel;
  /** Unique per poison message; its dead letter keeps the payload's head, which holds it. */
  sentAt: string;
  bytes: number;
}

export class HostileGateway {
  /** PUBLISHes acknowledged by the broker, by category. */
  readonly sent = Object.fromEntries(HOSTILE_CATEGORIES.map((c) => [c, 0])) as Record<
    HostileCategory,
    number
  >;
  readonly spoofedReadings = new Set<string>();
  readonly spoofedFalls: { id: string; deviceId: string; measuredAt: string }[] = [];
  readonly spoofedStatusDevices = new Set<string>();
  readonly poisons: Poison[] = [];
  #client: MqttClient | null = null;
  #running: AbortController | null = null;
  #work: Promise<unknown> = Promise.resolve();
  #victimIndex = 0;
  readonly #victimResidents: FleetResident[];
  readonly #cuffs: string[];
  readonly #sensors: string[];

  constructor(private readonly options: HostileOptions) {
    this.#victimResidents = options.victims.flatMap((g) => g.residents);
    this.#cuffs = options.gateway.residents.map((r) => deviceOf(r, 'bp-cuff'));
    this.#sensors = options.gateway.residents.map((r) => deviceOf(r, 'falls-sensor'));
  }

  get gateway(): FleetGateway {
    return this.options.gateway;
  }

  /** Connects (clean session, as an attacker has no use for a queue); reconnects by itself. */
  async connect(): Promise<void> {
    const client = mqttClient(this.options.url, {
      username: this.options.gateway.username,
      password: this.options.password,
      clientId: this.options.gateway.username,
      localAddress: HOSTILE_ADDRESS,
      reconnectPeriod: 500,
    });
    client.on('error', () => {});
    this.#client = client;
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
  }

  async #publish(channel: Channel, payload: string, category: HostileCategory, signal?: AbortSignal) {
    if (!this.#client) throw new Error('the hostile gateway is not connected');
    await publishUntil(this.#client, topicOf(this.options.gateway, channel), payload, signal);
    this.sent[category]++;
  }

  /** A 100,000-deep batch on the channel, resolved once the broker acknowledged it. */
  async poison(channel: Channel): Promise<Poison> {
    const { payload, sentAt } = poisonBatch();
    const poison = { channel, sentAt, bytes: payload.length };
    this.poisons.push(poison);
    await this.#publish(channel, payload, 'poison');
    return poison;
  }

  /** Starts spoofing and flooding until `stop()`. */
  start(): void {
    if (this.#running) return;
    const running = new AbortController();
    // Every PUBLISH in flight listens for the stop; hundreds may be waiting for the rate limit.
    setMaxListeners(10_000, running.signal);
    this.#running = running;
    const lanes = this.options.floodLanes ?? { routine: 32, urgent: 16 };
    this.#work = Promise.all([
      this.#spoofing(running.signal),
      ...Array.from({ length: lanes.routine }, () => this.#flooding(Channel.observations, running.signal)),
      ...Array.from({ length: lanes.urgent }, () => this.#flooding(Channel.urgent, running.signal)),
    ]);
  }

  /** Stops spoofing and flooding; PUBLISHes still in flight are abandoned. */
  async stop(): Promise<void> {
    this.#running?.abort();
    this.#running = null;
    await this.#work;
  }

  async close(): Promise<void> {
    await this.stop();
    this.#client?.end(true);
    this.#client = null;
  }

  /** The victims' residents in a scattered but repeatable order. */
  #nextVictim(): FleetResident {
    const residents = this.#victimResidents;
    return residents[(this.#victimIndex++ * 7919) % residents.length]!;
  }

  /**
   * Another site's devices: five readings, a fall and five device statuses at each tick. Sent
   * without waiting for the broker's acknowledgements (the flood keeps the connection's rate
   * buckets empty), so the ticks keep their pace.
   */
  async #spoofing(signal: AbortSignal): Promise<void> {
    const every = this.options.spoofEveryMs ?? 500;
    const sends: Promise<unknown>[] = [];
    while (!signal.aborted) {
      const readings = Array.from({ length: 5 }, () =>
        bloodPressure(deviceOf(this.#nextVictim(), 'bp-cuff'), 199),
      );
      for (const r of readings) this.spoofedReadings.add(r.id);
      // A measurement time no real fall shares (to the millisecond), to tell its alert apart.
      const spoofedFall = fall(
        deviceOf(this.#nextVictim(), 'falls-sensor'),
        new Date(Date.now() - 1237).toISOString(),
      );
      this.spoofedFalls.push({
        id: spoofedFall.id,
        deviceId: spoofedFall.deviceId,
        measuredAt: spoofedFall.measuredAt,
      });
      const statuses = Array.from({ length: 5 }, () => deviceOf(this.#nextVictim(), 'bp-cuff'));
      for (const d of statuses) this.spoofedStatusDevices.add(d);
      // Abandoned when stopped (or lost with the connection): nothing to report but the count.
      const settled = (send: Promise<void>) => send.catch(() => {});
      sends.push(
        settled(this.#publish(Channel.observations, batch(...readings), 'spoofed readings', signal)),
        settled(this.#publish(Channel.urgent, batch(spoofedFall), 'spoofed falls', signal)),
        settled(
          this.#publish(
            Channel.devices,
            statusBatch(
              ...statuses.map((deviceId) => ({
                deviceId,
                connected: false,
                battery: 1,
                lastError: 'SPOOFED',
              })),
            ),
            'spoofed statuses',
            signal,
          ),
        ),
      );
      await sleep(every);
    }
    await Promise.all(sends);
  }

  /** Well-formed traffic for its own residents, one PUBLISH in flight per lane, back to back. */
  async #flooding(channel: Channel, signal: AbortSignal): Promise<void> {
    const size = this.options.floodBatchSize ?? 100;
    let n = 0;
    while (!signal.aborted) {
      const observations: Observation[] =
        channel === Channel.urgent
          ? [fall(this.#sensors[n++ % this.#sensors.length]!)]
          : Array.from({ length: size }, () => bloodPressure(this.#cuffs[n++ % this.#cuffs.length]!, 120));
      try {
        await this.#publish(
          channel,
          batch(...observations),
          channel === Channel.urgent ? 'flood urgent' : 'flood routine',
          signal,
        );
      } catch {
        if (!signal.aborted) await sleep(100);
      }
    }
  }
}
