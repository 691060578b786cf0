/**
 * What a nurse's dashboard receives: one socket.io connection signed in as a nurse, joined to
 * every ward of the fleet, counting each reading of the wards' `observations` batches (by id, so
 * repeats show) and timing each fall alert from the fall's measurement time to its arrival.
 */
import type { AlertEvent, ClientToServerEvents, ServerToClientEvents } from '@wardline/protocol';
import { io, type Socket } from 'socket.io-client';

export class WardWatcher {
  readonly seen = new Map<string, number>();
  repeats = 0;
  /** Fall alerts opened: falls-sensor id -> arrival time (ms since epoch). */
  readonly fallAlerts = new Map<
    string,
    { arrivedAtMs: number; measuredAt: string | null; openedAtMs: number }
  >();
  /** Fall alerts announced as opened more than once (the same alert id). */
  alertRepeats = 0;
  /** Reconnections, each followed by a reload of the open alerts, as the dashboard does. */
  reconnects = 0;
  /** Resync requests from the replica (its link to the others was back), each followed by a reload. */
  resyncs = 0;
  /** Fall alerts the socket missed while away and the reload found. */
  foundOnReload = 0;
  readonly #openedIds = new Set<number>();
  #socket: Socket<ServerToClientEvents, ClientToServerEvents> | null = null;

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly wardIds: readonly string[],
  ) {}

  /** Connects and joins every ward; resolves when all joins are acknowledged. */
  async start(): Promise<void> {
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(this.baseUrl, {
      auth: { token: this.token },
      transports: ['websocket'],
      reconnection: true,
      reconnectionDelay: 200,
    });
    this.#socket = socket;
    socket.on('observations', (batch) => {
      for (const event of batch.observations) {
        const count = this.seen.get(event.observation.id) ?? 0;
        if (count > 0) this.repeats++;
        this.seen.set(event.observation.id, count + 1);
      }
    });
    socket.on('alert', (event: AlertEvent) => {
      if (event.type !== 'opened') return;
      if (this.#openedIds.has(event.alert.id)) this.alertRepeats++;
      this.#openedIds.add(event.alert.id);
      if (event.alert.condition === 'fall' && event.alert.deviceId) {
        this.fallAlerts.set(event.alert.deviceId, {
          arrivedAtMs: Date.now(),
          measuredAt: event.alert.triggerMeasuredAt,
          openedAtMs: Date.parse(event.alert.openedAt),
        });
      }
    });
    // After a server restart the socket reconnects (through a load balancer, perhaps to another
    // replica); rooms are joined again and, as the dashboard does, the open alerts are reloaded.
    socket.on('resync', () => {
      this.resyncs++;
      void this.#reloadAlerts();
    });
    let connected = false;
    socket.on('connect', () => {
      if (connected) {
        this.reconnects++;
        void this.#reloadAlerts();
      }
      connected = true;
      void this.#joinAll();
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    await this.#joinAll();
  }

  /** Whether every one of these falls has its alert on the socket. */
  alerted(falls: readonly { deviceId: string }[]): boolean {
    return falls.every((f) => this.fallAlerts.has(f.deviceId));
  }

  /** Measurement to alert on the socket, ms, for the falls that have arrived. */
  fallLatencies(falls: readonly { deviceId: string; measuredAtMs: number }[]): number[] {
    return falls.flatMap((f) => {
      const alert = this.fallAlerts.get(f.deviceId);
      return alert ? [alert.arrivedAtMs - f.measuredAtMs] : [];
    });
  }

  async #reloadAlerts(): Promise<void> {
    const res = await fetch(`${this.baseUrl}/api/alerts?state=open&condition=fall&limit=1000`, {
      headers: { authorization: `Bearer ${this.token}` },
    }).catch(() => null);
    if (!res?.ok) return;
    for (const alert of (await res.json()) as AlertEvent['alert'][]) {
      if (!alert.deviceId || this.fallAlerts.has(alert.deviceId)) continue;
      this.#openedIds.add(alert.id);
      this.foundOnReload++;
      this.fallAlerts.set(alert.deviceId, {
        arrivedAtMs: Date.now(),
        measuredAt: alert.triggerMeasuredAt,
        openedAtMs: Date.parse(alert.openedAt),
      });
    }
  }

  async #joinAll(): Promise<void> {
    const socket = this.#socket;
    if (!socket) return;
    await Promise.all(
      this.wardIds.map(
        (wardId) =>
          new Promise<void>((resolve, reject) =>
            socket.emit('joinWard', wardId, (result) =>
              result.ok ? resolve() : reject(new Error(`joinWard ${wardId}: ${result.code}`)),
            ),
          ),
      ),
    );
  }

  close(): void {
    this.#socket?.close();
  }
}
