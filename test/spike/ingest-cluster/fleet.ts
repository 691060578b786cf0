/**
 * A fleet of gateways as the product has them: plain MQTT 3.1.1 clients at QoS 1, each on its
 * own connection with its own client id, each given the list of broker URLs (starting at a
 * different node, so the fleet is spread) and failing over along it. Every reading has a unique
 * id; the fleet remembers which ones the broker acknowledged (PUBACK).
 */
import mqtt, { type MqttClient } from 'mqtt';

export interface FleetOptions {
  urls: readonly string[];
  gateways: number;
  /** Client ids and reading ids carry it, so runs against one database never collide. */
  tag: string;
}

interface Gateway {
  name: string;
  client: MqttClient;
  seq: number;
  inFlight: number;
}

const padding = 'x'.repeat(120); // about the size of a real observation message

export class Fleet {
  readonly acked = new Set<string>();
  readonly sent = new Set<string>();
  readonly #gateways: Gateway[] = [];
  #timers: NodeJS.Timeout[] = [];
  #running = false;
  #fallSeq = 0;
  /** Falls as published: id, when, and through which gateway. */
  readonly falls: { id: string; publishedMs: number }[] = [];

  constructor(private readonly options: FleetOptions) {}

  async connect(): Promise<void> {
    const servers = this.options.urls.map((u) => {
      const { hostname, port } = new URL(u);
      return { host: hostname, port: Number(port) };
    });
    await Promise.all(
      Array.from({ length: this.options.gateways }, async (_, i) => {
        const name = `gw${String(i).padStart(4, '0')}`;
        const client = mqtt.connect({
          // Each gateway's list starts at a different node: the fleet spreads over the cluster.
          servers: servers.map((_, k) => servers[(i + k) % servers.length]!),
          clientId: `${this.options.tag}-${name}`,
          clean: true,
          protocolVersion: 4,
          reconnectPeriod: 250,
          connectTimeout: 5_000,
          keepalive: 30,
        });
        client.on('error', () => undefined);
        this.#gateways.push({ name, client, seq: 0, inFlight: 0 });
        await new Promise<void>((resolve) => client.once('connect', () => resolve()));
      }),
    );
  }

  /** Gateways currently connected, by broker port. */
  connectedPerPort(): Map<number, number> {
    const ports = new Map<number, number>();
    for (const g of this.#gateways) {
      if (!g.client.connected) continue;
      const port = (g.client.options as { port?: number }).port ?? 0;
      ports.set(port, (ports.get(port) ?? 0) + 1);
    }
    return ports;
  }

  #publish(g: Gateway, kind: 'obs' | 'fall'): string {
    const id = `${this.options.tag}-${g.name}-${kind}-${g.seq++}`;
    const t = Date.now();
    this.sent.add(id);
    g.inFlight++;
    g.client.publish(
      `wl/site1/${g.name}/${kind}`,
      JSON.stringify({ id, t, padding }),
      { qos: 1 },
      (error) => {
        g.inFlight--;
        if (!error) this.acked.add(id);
      },
    );
    return id;
  }

  /** Every gateway one reading per `periodMs` (phases spread), and one fall per second fleet-wide. */
  startSteady(periodMs = 1000): void {
    this.#running = true;
    for (const g of this.#gateways) {
      const start = setTimeout(() => {
        this.#publish(g, 'obs');
        this.#timers.push(setInterval(() => this.#publish(g, 'obs'), periodMs));
      }, Math.random() * periodMs);
      this.#timers.push(start);
    }
    this.#timers.push(
      setInterval(() => {
        const g = this.#gateways[this.#fallSeq++ % this.#gateways.length]!;
        this.falls.push({ id: this.#publish(g, 'fall'), publishedMs: Date.now() });
      }, 1000),
    );
  }

  /** As fast as the cluster acknowledges: each gateway keeps `window` readings in flight. */
  startFlatOut(window = 10, limit = Infinity): void {
    this.#running = true;
    const pump = (g: Gateway) => {
      while (g.inFlight < window && this.#running && this.sent.size < limit) this.#publish(g, 'obs');
    };
    for (const g of this.#gateways) {
      g.client.on('packetreceive', (packet) => {
        if (packet.cmd === 'puback') setImmediate(() => pump(g));
      });
      pump(g);
    }
  }

  /** Exactly `total` readings as fast as the cluster takes them; resolves once all are PUBACKed. */
  async publishBacklog(total: number, window = 10): Promise<void> {
    this.startFlatOut(window, total);
    while (this.sent.size < total) await new Promise((r) => setTimeout(r, 50));
    this.stopPublishing();
    await this.settle(60_000);
  }

  stopPublishing(): void {
    this.#running = false;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    for (const g of this.#gateways) g.client.removeAllListeners('packetreceive');
  }

  /** Waits until every reading sent has been acknowledged, or `timeoutMs`. */
  async settle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.#gateways.some((g) => g.inFlight > 0)) {
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close(): Promise<void> {
    this.stopPublishing();
    await Promise.all(this.#gateways.map((g) => g.client.endAsync(true)));
  }
}
