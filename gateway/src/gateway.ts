/**
 * startGateway wires a source of BLE notifications (a BleLink: the simulator today, a noble
 * central later) through dispatch into the outbox, and the outbox through the publisher to the
 * broker, with device status published periodically and promptly on change.
 */
import { randomUUID } from 'node:crypto';
import {
  isTopicSegment,
  type BleLink,
  type BleLinkListener,
  type CharacteristicHandler,
  type DeviceStatus,
  type GatewayAddress,
} from '@wardline/protocol';
import { DeviceRegistry, isValidDeviceId } from './devices.js';
import { Dispatcher, type DispatchOutcome, type DispatchStats } from './dispatch.js';
import { silentLogger, type Logger } from './logger.js';
import { Publisher, type BrokerOptions, type PublisherStats } from './publisher.js';
import { MemoryOutbox, type Outbox, type OutboxStats } from './queue.js';
import { MemorySequence, type Sequence } from './sequence.js';
import { NEARLY_FULL_FRACTION, SqliteOutbox } from './durable-outbox.js';

export const GATEWAY_SOFTWARE = 'wardline-gateway/0.1.0';

export interface StartGatewayOptions {
  /** Opaque site code (topic segment). */
  site: string;
  /** Opaque gateway code (topic segment). */
  gateway: string;
  broker: BrokerOptions;
  /** Where notifications come from: firmware-sim's SimulatedHome, or a BLE central. */
  source: BleLink;
  /** Default: an in-memory outbox; production uses SqliteOutbox. */
  outbox?: Outbox;
  /** Default: the SqliteOutbox's persisted sequence, else in-memory from 0. */
  sequence?: Sequence;
  /** See PublisherOptions.routinePerSecond (replay rate). Default 2000. */
  routinePerSecond?: number;
  logger?: Logger;
  /** Full device status (and the online status) every this often. Default 30 000. */
  statusIntervalMs?: number;
  /** Observations per batch. Default 100. */
  batchSize?: number;
  /** See PublisherOptions.ackTimeoutMs. Default 30 000. */
  ackTimeoutMs?: number;
  software?: string;
  /** Test seams. */
  now?: () => number;
  newId?: () => string;
  handlerFor?: (characteristicUuid: string) => CharacteristicHandler | undefined;
}

export interface GatewayStats {
  site: string;
  gateway: string;
  dispatch: DispatchStats;
  outbox: OutboxStats;
  mqtt: PublisherStats;
  devices: number;
}

export interface RunningGateway {
  readonly address: GatewayAddress;
  stats(): GatewayStats;
  /** Current status of every device the gateway has heard of. */
  devices(): DeviceStatus[];
  /** Handles one notification as if it came from the source (tests, tools). */
  handle(
    deviceId: string,
    serviceUuid: string,
    characteristicUuid: string,
    bytes: Uint8Array,
  ): DispatchOutcome;
  /** Publishes the full device status now (if connected); returns the number of devices sent. */
  publishDeviceStatus(): number;
  /** Resolves true once the outbox is empty (everything acknowledged), false after timeoutMs. */
  flush(timeoutMs?: number): Promise<boolean>;
  /**
   * Detaches from the source, drains for up to drainTimeoutMs (default 5000), publishes the
   * retained offline status and disconnects. Undelivered observations are logged at error.
   */
  stop(drainTimeoutMs?: number): Promise<void>;
}

export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const address: GatewayAddress = { site: options.site, gateway: options.gateway };
  if (!isTopicSegment(address.site) || !isTopicSegment(address.gateway)) {
    throw new Error('site and gateway codes must match [a-z0-9][a-z0-9-]{0,62}');
  }
  const now = options.now ?? Date.now;
  const logger = (options.logger ?? silentLogger).child({ site: address.site, gateway: address.gateway });
  const outbox = options.outbox ?? new MemoryOutbox();
  const sequence =
    options.sequence ?? (outbox instanceof SqliteOutbox ? outbox.sequence() : new MemorySequence());
  const devices = new DeviceRegistry(now);
  const statusIntervalMs = options.statusIntervalMs ?? 30_000;

  let statusTimer: NodeJS.Timeout | undefined;
  let promptTimer: NodeJS.Timeout | undefined;
  const publishAll = () => publisher.publishDeviceStatuses(devices.snapshot());
  const publishChangedSoon = () => {
    if (promptTimer) return;
    promptTimer = setTimeout(() => {
      promptTimer = undefined;
      publisher.publishDeviceStatuses(devices.takeChanged());
    }, 250);
  };

  const publisher = new Publisher({
    address,
    broker: options.broker,
    outbox,
    logger: logger.child({ component: 'publisher' }),
    software: options.software ?? GATEWAY_SOFTWARE,
    ackTimeoutMs: options.ackTimeoutMs,
    now,
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.routinePerSecond !== undefined ? { routinePerSecond: options.routinePerSecond } : {}),
    onConnect: publishAll,
  });
  const dispatcher = new Dispatcher({
    outbox,
    sequence,
    devices,
    logger: logger.child({ component: 'dispatch' }),
    now,
    newId: options.newId ?? randomUUID,
    onQueued: () => {
      checkFill();
      publisher.kick();
    },
    ...(options.handlerFor ? { handlerFor: options.handlerFor } : {}),
  });

  // Loud when nearly full: an error log once per crossing, and the online status (which carries
  // pending and capacity) republished at once so the server sees it without waiting.
  let nearlyFull = false;
  const checkFill = () => {
    const { pending, capacity } = outbox.stats();
    const full = pending >= capacity * NEARLY_FULL_FRACTION;
    if (full && !nearlyFull) {
      logger.error(
        { code: 'OUTBOX_NEARLY_FULL', pending, capacity },
        'outbox nearly full: the oldest routine readings will be dropped when it is full',
      );
      publisher.publishOnline();
    } else if (!full && nearlyFull) {
      logger.info({ pending, capacity }, 'outbox below the nearly-full mark again');
    }
    nearlyFull = full;
  };

  const onNotification: BleLinkListener<'notification'> = (
    deviceId,
    serviceUuid,
    characteristicUuid,
    bytes,
  ) => {
    const outcome = dispatcher.handle(deviceId, serviceUuid, characteristicUuid, bytes);
    if (outcome.problems.length > 0) publishChangedSoon();
  };
  const knownShape = (deviceId: string, event: string) => {
    if (isValidDeviceId(deviceId)) return true;
    logger.warn({ code: 'INVALID_DEVICE_ID', event }, 'device id outside the contract pattern ignored');
    return false;
  };
  const onConnect: BleLinkListener<'connect'> = (deviceId) => {
    if (!knownShape(deviceId, 'connect')) return;
    devices.connected(deviceId);
    logger.info({ deviceId }, 'device connected');
    publishChangedSoon();
  };
  const onDisconnect: BleLinkListener<'disconnect'> = (deviceId) => {
    if (!knownShape(deviceId, 'disconnect')) return;
    devices.disconnected(deviceId);
    logger.info({ deviceId }, 'device disconnected');
    publishChangedSoon();
  };
  const onRssi: BleLinkListener<'rssi'> = (deviceId, rssi) => {
    if (isValidDeviceId(deviceId)) devices.rssi(deviceId, rssi);
  };
  // Listeners are wrapped so that nothing a source emits can throw back into it.
  const guard =
    <A extends unknown[]>(name: string, fn: (...args: A) => void) =>
    (...args: A) => {
      try {
        fn(...args);
      } catch (err) {
        logger.error(
          { code: 'INTERNAL_ERROR', event: name, err: (err as Error)?.message },
          'source event failed',
        );
      }
    };
  const listeners = {
    notification: guard('notification', onNotification),
    connect: guard('connect', onConnect),
    disconnect: guard('disconnect', onDisconnect),
    rssi: guard('rssi', onRssi),
  };
  const source = options.source;
  source.on('notification', listeners.notification);
  source.on('connect', listeners.connect);
  source.on('disconnect', listeners.disconnect);
  source.on('rssi', listeners.rssi);
  for (const deviceId of source.connectedDevices()) listeners.connect(deviceId);

  publisher.start();
  statusTimer = setInterval(() => {
    publisher.publishOnline();
    publishAll();
  }, statusIntervalMs);
  logger.info({ pending: outbox.size(), nextSeq: sequence.peek(), statusIntervalMs }, 'gateway started');
  checkFill();

  let stopping: Promise<void> | undefined;
  const gateway: RunningGateway = {
    address,
    stats: () => ({
      site: address.site,
      gateway: address.gateway,
      dispatch: dispatcher.stats(),
      outbox: outbox.stats(),
      mqtt: publisher.stats(),
      devices: devices.size(),
    }),
    devices: () => devices.snapshot(),
    handle: (deviceId, serviceUuid, characteristicUuid, bytes) =>
      dispatcher.handle(deviceId, serviceUuid, characteristicUuid, bytes),
    publishDeviceStatus: publishAll,
    async flush(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (outbox.size() > 0) {
        if (Date.now() > deadline) return false;
        publisher.kick();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return true;
    },
    stop(drainTimeoutMs = 5000) {
      stopping ??= (async () => {
        source.off('notification', listeners.notification);
        source.off('connect', listeners.connect);
        source.off('disconnect', listeners.disconnect);
        source.off('rssi', listeners.rssi);
        clearInterval(statusTimer);
        clearTimeout(promptTimer);
        statusTimer = undefined;
        publishAll();
        await publisher.stop(drainTimeoutMs);
        const left = outbox.size();
        if (left > 0 && outbox instanceof SqliteOutbox) {
          logger.warn(
            { code: 'PENDING_AT_STOP', pending: left, path: outbox.path },
            'stopping with unacknowledged observations; they are on disk and will be sent after restart',
          );
        } else if (left > 0) {
          logger.error(
            { code: 'UNDELIVERED_AT_STOP', pending: left, urgentPending: outbox.stats().urgentPending },
            'stopping with observations the broker has not acknowledged; the in-memory outbox cannot keep them',
          );
        }
        outbox.close();
        logger.info({ stats: gateway.stats() }, 'gateway stopped');
      })();
      return stopping;
    },
  };
  return gateway;
}
