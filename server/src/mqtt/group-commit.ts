import type { MqttClient, Packet } from 'mqtt';

/**
 * Group commit for QoS 1 messages on one mqtt.js session. mqtt.js hands over one message at a
 * time and sends its PUBACK as soon as `handleMessage` calls back, so storing each message in
 * its own transaction before calling back means one commit (one WAL sync) per message. Here
 * `handleMessage` calls back at once, so mqtt.js reads on, but the PUBACK itself is held until
 * the group the message belongs to has committed; the messages that arrived in the same turn
 * of the event loop are stored together. Nothing is acknowledged before it is durable.
 *
 * This wraps mqtt.js's private `_sendPacket` (mqtt 5.x), the one place every PUBACK goes
 * through; `test/src/faults/` and the restart tests check that nothing acknowledged is lost.
 */
type SendPacket = (packet: Packet, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

export interface HeldMessage {
  topic: string;
  payload: Buffer;
  /** Sends the held PUBACK, if the connection it arrived on is still the current one. */
  acknowledge(): void;
}

export interface GroupCommitOptions {
  /** Most messages per group; past it, mqtt.js stops reading until the group has committed. */
  maxGroup: number;
  /**
   * Most payload bytes per group: a group is one transaction, and the urgent session's waits for
   * it (on SQLite the one connection is held until it commits), so it is kept to tens of
   * milliseconds.
   */
  maxGroupBytes: number;
  /** Stores the group; rejects if storage fails (nothing is acknowledged then). */
  store(messages: readonly HeldMessage[]): Promise<void>;
  /** Called as each message arrives (the watchdog counts what waits). */
  onReceived?(): void;
}

export function groupCommit(client: MqttClient, options: GroupCommitOptions): void {
  const internals = client as unknown as { _sendPacket: SendPacket };
  const sendPacket = internals._sendPacket.bind(client);
  /**
   * PUBACKs waiting for their group to commit, by message id, on the current connection. A
   * message id means nothing on another connection: after a reconnect the broker numbers afresh,
   * and a PUBACK sent there would acknowledge a different message, which would never be stored.
   * So the map starts afresh with each connection, and a message acknowledges only on its own.
   */
  let held = new Map<number, () => void>();
  let group: HeldMessage[] = [];
  let groupBytes = 0;
  let resumeReading: (() => void) | null = null;
  let flushing = false;
  let scheduled = false;

  internals._sendPacket = (packet, cb, ...rest) => {
    if (packet.cmd === 'puback' && packet.messageId !== undefined && held.has(packet.messageId)) {
      held.set(packet.messageId, () => sendPacket(packet, undefined, ...rest));
      cb?.(); // mqtt.js reads the next message; the PUBACK waits for the commit
      return;
    }
    sendPacket(packet, cb, ...rest);
  };

  // mqtt.js may hand over messages it had already read from a connection after that connection
  // closed; their PUBACKs are never sent (the broker re-sends them, ingest de-duplicates).
  client.on('connect', () => {
    held = new Map();
  });

  const flush = async () => {
    scheduled = false;
    if (flushing || group.length === 0) return;
    flushing = true;
    const messages = group;
    group = [];
    groupBytes = 0;
    const resume = resumeReading;
    resumeReading = null;
    try {
      await options.store(messages);
    } catch {
      // Shutting down: nothing of this group is acknowledged; the broker re-sends it all.
      flushing = false;
      return;
    }
    for (const m of messages) m.acknowledge();
    flushing = false;
    resume?.();
    if (group.length > 0) schedule();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => void flush());
  };

  client.handleMessage = (packet, done) => {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const messageId = packet.messageId;
    const via = client.stream;
    const live = () => client.stream === via && client.connected;
    const acknowledge = () => {
      if (messageId === undefined || !live()) return;
      const send = held.get(messageId);
      held.delete(messageId);
      send?.();
    };
    options.onReceived?.();
    group.push({ topic: packet.topic, payload, acknowledge });
    groupBytes += payload.length;
    schedule();
    if (packet.qos === 0 || messageId === undefined) return done();
    if (group.length >= options.maxGroup || groupBytes >= options.maxGroupBytes) {
      // Full: stop reading until this group commits; calling back then sends the PUBACK at once.
      // Only on the same, still open, connection: otherwise mqtt.js would queue that PUBACK for
      // the next one.
      resumeReading = () => {
        if (live()) done();
      };
      return;
    }
    held.set(messageId, () => {});
    done();
  };
}
