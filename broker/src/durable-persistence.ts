/**
 * Durable broker state: sessions, subscriptions, QoS 1 messages queued for offline clients
 * and in flight to online ones, retained messages and wills, in LevelDB on local disk. With it
 * a broker restart loses nothing it has acknowledged: the server's persistent subscription and
 * everything waiting for it survive, so readings published during and after the restart still
 * reach it. Writes are not fsynced one by one (LevelDB's default): this survives a crash of the
 * broker process; against power loss the gateway's outbox and the server's de-duplication are
 * the guard. aedes 1.2 writes a QoS 1 PUBACK before it stores the message; the connection holds
 * each PUBACK until the message is stored (puback-after-store.ts), so nothing acknowledged is lost
 * to a crash in between.
 */
import { Channel } from '@wardline/protocol';
import { ClassicLevel } from 'classic-level';
import aedesPersistenceLevel from 'aedes-persistence-level';
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync, statSync } from 'node:fs';
import { coalesceWrites } from './coalescing-level.js';

const URGENT_SUFFIX = `/${Channel.urgent}`;
/** Falls and help calls: the gateway's urgent topic. */
const isUrgentTopic = (topic: unknown): boolean => typeof topic === 'string' && topic.endsWith(URGENT_SUFFIX);
type UrgentWrite = 'outgoingEnqueue' | 'outgoingEnqueueCombi' | 'outgoingUpdate';

export interface DurablePersistence {
  /** Passed to aedes as its `persistence`. */
  persistence: unknown;
  /** The directory existed with access for group or others (queued readings are health data). */
  groupOrOthersCanAccess: boolean;
  /** The open LevelDB itself, for consistent snapshots (snapshot.ts). */
  level: ClassicLevel;
  close(): Promise<void>;
}

export interface DurablePersistenceOptions {
  /** Group-commit writes (coalescing-level.ts). Off only to measure against. */
  coalesce?: boolean;
  /** See CoalescingOptions.syncReads. */
  syncReads?: boolean;
}

export function openDurablePersistence(
  directory: string,
  options: DurablePersistenceOptions = {},
): DurablePersistence {
  // Queued messages are patients' readings: owner only (files follow the umask main.ts sets).
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const groupOrOthersCanAccess = (statSync(directory).mode & 0o077) !== 0;
  const level = new ClassicLevel(directory);
  // The writes that queue a fall or help call for its subscriber and mark it in flight carry this
  // through every await inside aedes-persistence-level, so that they go to disk ahead of a replay.
  const urgentWrites = new AsyncLocalStorage<true>();
  const coalesced =
    options.coalesce === false
      ? null
      : coalesceWrites(level, {
          syncReads: options.syncReads ?? true,
          isUrgent: () => urgentWrites.getStore() === true,
        });
  const persistence = aedesPersistenceLevel(coalesced ?? level) as {
    destroy(): Promise<void>;
    cleanIncoming(client: unknown): Promise<void>;
  } & Record<UrgentWrite, (target: unknown, packet: { topic?: unknown }) => Promise<unknown>>;
  // A live delivery can find its queued copy already gone: the session's replay after a
  // reconnect delivered and cleared it first. aedes then treats the miss as a client error and
  // drops the connection (our storm bench saw hundreds of such drops, each forcing another
  // replay). Deliver it anyway: at worst a repeat, which every Wardline consumer de-duplicates.
  const outgoingUpdate = persistence.outgoingUpdate.bind(persistence);
  persistence.outgoingUpdate = async (client, packet) => {
    try {
      await outgoingUpdate(client, packet);
    } catch (err) {
      if ((err as Error).message !== 'no such packet') throw err;
    }
  };
  // Queuing a message for a subscriber (online or not) and marking it in flight.
  for (const name of ['outgoingEnqueue', 'outgoingEnqueueCombi', 'outgoingUpdate'] as const) {
    const write = persistence[name].bind(persistence);
    persistence[name] = (target, packet) =>
      isUrgentTopic(packet.topic)
        ? urgentWrites.run(true, () => write(target, packet))
        : write(target, packet);
  }
  // aedes clears a clean client's incoming QoS 2 state when its connection closes, also for a
  // client it never authorized. A flood of refused CONNECTs then queued thousands of LevelDB range
  // clears ahead of real gateways' session set-up (a real gateway's connect took 1.8 s under 2,000
  // wrong passwords). A client never authorized can have stored nothing: skip it.
  const cleanIncoming = persistence.cleanIncoming.bind(persistence);
  persistence.cleanIncoming = async (client) => {
    if ((client as { _authorized?: boolean })._authorized === false) return;
    await cleanIncoming(client);
  };
  return {
    persistence,
    groupOrOthersCanAccess,
    level,
    // The promise form: the callback form waits for a 'ready' event that aedes 1.x never causes.
    close: () => persistence.destroy(),
  };
}
