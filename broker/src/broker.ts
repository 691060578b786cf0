import type { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createServer as createTlsServer } from 'node:tls';
import {
  Aedes,
  type AedesOptions,
  type AuthenticateError,
  type Client,
  type ConnectPacket,
  type PublishPacket,
} from 'aedes';
import pino, { type Logger } from 'pino';
import { acceptedHashes, Authenticator, DEFAULT_AUTH_LIMITS, type AuthLimits } from './authenticator.js';
import type { CredentialReplica } from './credential-replica.js';
import { BrokerError, BrokerErrorCode, ConnackCode, RefusalCode, RefusalError } from './errors.js';
import { deliverOutOfCounterOrder } from './delivery-order.js';
import { openDurablePersistence } from './durable-persistence.js';
import { FrameLimitedConnection, FrameTooLargeError } from './frame-limit.js';
import { createAdminHandler } from './admin.js';
import { createHealthServer, type HealthReport } from './health.js';
import { IdentityConnections } from './identity-connections.js';
import { createBrokerMetrics } from './metrics.js';
import {
  authorizeConnect,
  authorizePublish,
  authorizeSubscribe,
  authorizeWill,
  describeIdentity,
  mayReceive,
  publishLane,
  type Identity,
  type Limits,
} from './policy.js';
import {
  ConnectionThrottle,
  DEFAULT_PUBLISH_RATE_LIMITS,
  type PublishRateLimits,
} from './publish-throttle.js';
import { Refusals } from './refusals.js';
import { bufferSubscriberWrites, DEFAULT_SUBSCRIBER_BUFFER_BYTES } from './subscriber-buffer.js';
import { LayeredUsers, UserRegistry, type UserDirectory, type UserEntry } from './users.js';

export const DEFAULT_MQTT_PORT = 1883;
export const DEFAULT_MQTT_TLS_PORT = 8883;
/** Not 8080 (the server's HTTP port in most set-ups) and not 8883 (MQTT over TLS). */
export const DEFAULT_HEALTH_PORT = 8081;
/** Loopback: listening on every interface is a deployment decision (MQTT_HOST=0.0.0.0). */
export const DEFAULT_HOST = '127.0.0.1';
/** The server's routine and urgent sessions, and room for a restart overlapping the old ones. */
export const DEFAULT_MAX_SERVER_CONNECTIONS = 4;
/** Above the contract's 256 KiB so that the server, not the broker, reports oversize batches. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;
/** [MQTT-2.2.3] the largest remaining length a packet can announce. */
const MQTT_MAX_REMAINING_LENGTH = 268_435_455;
/**
 * Room for a packet's length-prefixed strings besides the payload: a CONNECT carries client id,
 * will topic, user name and password (each at most 2 + 65535 bytes) with the will payload.
 */
const FRAME_OVERHEAD_BYTES = 4 * (2 + 65_535) + 16;
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/**
 * Connections the kernel may hold for us before we accept them (capped by net.core.somaxconn).
 * Node's 511 overflows when thousands of gateways reconnect at once, or a flood arrives; a dropped
 * SYN costs the client a 1 s retransmit, even an honest client arriving amid the flood.
 */
const LISTEN_BACKLOG = 4096;

export interface TlsListenerOptions {
  /** PEM private key file. */
  keyPath: string;
  /** PEM certificate (chain) file. */
  certPath: string;
  /** Default 8883; 0 picks a free port. */
  port?: number;
  /** Default: the plain listener's host. */
  host?: string;
}

export interface StartBrokerOptions {
  /** Who may connect; entries are validated like a users file. */
  users: UserRegistry | readonly UserEntry[];
  /**
   * The server's kit credentials (credential-replica.ts), consulted after `users`; started and
   * stopped by the caller. A change that withdraws a secret cuts the connections made with it.
   */
  credentials?: CredentialReplica;
  /** Plain MQTT listener. Default 127.0.0.1. */
  host?: string;
  /** Plain MQTT listener. Default 1883; 0 picks a free port. */
  port?: number;
  /** MQTT over TLS listener; none when omitted. */
  tls?: TlsListenerOptions;
  /** Default: the plain listener's host. */
  healthHost?: string;
  /** Default 8081; 0 picks a free port. */
  healthPort?: number;
  /** Largest PUBLISH (and will) payload accepted. Default 1 MiB. */
  maxPayloadBytes?: number;
  /**
   * Directory for durable sessions, subscriptions and queued QoS 1 messages (LevelDB). Without
   * it the broker keeps them in memory and a broker restart loses what it had not delivered.
   */
  dataDir?: string;
  /** Bounds on password checking; see authenticator.ts. */
  auth?: Partial<AuthLimits>;
  /** Client ids one server identity may hold connected at once. Default 4. */
  maxServerConnections?: number;
  /** Per gateway connection; see publish-throttle.ts. */
  publishRates?: Partial<PublishRateLimits>;
  /**
   * Bytes held for a server session beyond what its socket has taken before publishers wait for
   * it (subscriber-buffer.ts). Default 16 MiB.
   */
  subscriberBufferBytes?: number;
  /** Default: pino at info level on stdout. */
  logger?: Logger;
  /**
   * Bearer token for the admin endpoint on the health port (POST /admin/snapshot, admin.ts).
   * Without it the endpoint is off.
   */
  adminToken?: string;
}

export interface RunningBroker {
  /** The plain MQTT port actually listened on. */
  port: number;
  /** The MQTT over TLS port, or null without TLS. */
  tlsPort: number | null;
  healthPort: number;
  aedes: Aedes;
  health(): HealthReport;
  /** Disconnects every client and stops all listeners. Safe to call more than once. */
  close(): Promise<void>;
}

interface ClientState {
  identity: Identity;
  /** The will as sent at CONNECT, to tell a will being published from an ordinary PUBLISH. */
  will: ConnectPacket['will'];
  /** Gateways only. */
  throttle: ConnectionThrottle | undefined;
  /** The stored hash its password matched: once no longer accepted, the connection is cut. */
  passwordHash: string;
}

export async function startBroker(options: StartBrokerOptions): Promise<RunningBroker> {
  const logger = options.logger ?? pino({ name: 'wardline-broker' });
  const fileUsers = options.users instanceof UserRegistry ? options.users : new UserRegistry(options.users);
  const users: UserDirectory = options.credentials
    ? new LayeredUsers(fileUsers, options.credentials)
    : fileUsers;
  const limits: Limits = { maxPayloadBytes: options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES };
  if (
    !Number.isInteger(limits.maxPayloadBytes) ||
    limits.maxPayloadBytes < 1 ||
    limits.maxPayloadBytes > MQTT_MAX_REMAINING_LENGTH
  ) {
    throw new BrokerError(
      BrokerErrorCode.configInvalid,
      `maxPayloadBytes must be an integer from 1 to ${MQTT_MAX_REMAINING_LENGTH}`,
    );
  }
  const maxRemainingLength = limits.maxPayloadBytes + FRAME_OVERHEAD_BYTES;
  const host = options.host ?? DEFAULT_HOST;
  const tlsCredentials = options.tls
    ? {
        key: await readPem(options.tls.keyPath, 'key'),
        cert: await readPem(options.tls.certPath, 'certificate'),
      }
    : null;

  const maxServerConnections = options.maxServerConnections ?? DEFAULT_MAX_SERVER_CONNECTIONS;
  if (!Number.isInteger(maxServerConnections) || maxServerConnections < 1) {
    throw new BrokerError(
      BrokerErrorCode.configInvalid,
      'maxServerConnections must be an integer of at least 1',
    );
  }
  const publishRates: PublishRateLimits = { ...DEFAULT_PUBLISH_RATE_LIMITS, ...options.publishRates };

  const refusals = new Refusals(logger);
  const authenticator = new Authenticator(users, { ...DEFAULT_AUTH_LIMITS, ...options.auth });
  const connections = new IdentityConnections<Client>({
    maxServerClientIds: maxServerConnections,
    close: (client) => {
      logger.info(
        { event: 'replaced', clientId: client.id, username: clients.get(client)?.identity.username },
        `client ${client.id} closed: a newer connection of the same gateway replaces it`,
      );
      client.close();
    },
  });
  const throttles = new Set<ConnectionThrottle>();
  /** Admitted connections by user name, to cut those whose credentials are withdrawn. */
  const byUsername = new Map<string, Set<Client>>();
  const connectPackets = new WeakMap<Client, ConnectPacket>();
  const clients = new WeakMap<Client, ClientState>();
  /** The server's open sessions, whose unread bytes /metrics reports. */
  const serverClients = new Set<Client>();
  const sockets = new Set<Socket>();
  const startedAt = performance.now();
  const metrics = createBrokerMetrics({
    connections: () => connections.counts(),
    auth: () => authenticator.stats(),
    ...(options.credentials ? { credentials: () => options.credentials!.status() } : {}),
    refusals: () => refusals.counts(),
    throttled: () => {
      const held = [...throttles].filter((throttle) => throttle.throttled);
      return { clients: held.length, publishes: held.reduce((n, throttle) => n + throttle.waiting, 0) };
    },
    serverBufferedBytes: () => {
      let bytes = 0;
      for (const client of serverClients) bytes += client.conn.writableLength;
      return bytes;
    },
  });
  let closing = false;

  const remoteAddressOf = (client: Client | null): string | undefined =>
    client?.conn instanceof FrameLimitedConnection ? client.conn.remoteAddress : undefined;

  const throttleFor = (client: Client, username: string): ConnectionThrottle =>
    new ConnectionThrottle(publishRates, client.conn as FrameLimitedConnection, {
      onThrottled: once(() =>
        logger.warn(
          { event: 'publish-throttled', clientId: client.id, username },
          `client ${client.id} (user ${username}) publishes faster than its rate; reading it more slowly`,
        ),
      ),
    });

  const hooks: AedesOptions = {
    // aedes queues publishes beyond `concurrency` (default 100) in mqemitter, which drains that
    // queue by recursion: thousands of gateways dropping at once (a site's network outage, each
    // with a last will) overflowed the stack and killed the broker. No queue, no recursion; the
    // publishes in flight are bounded by the clients' own in-flight windows.
    concurrency: 1 << 20,
    preConnect(client, packet, callback) {
      connectPackets.set(client, packet);
      deliverOutOfCounterOrder(client);
      callback(null, true);
    },

    authenticate(client, username, password, callback) {
      const packet = connectPackets.get(client);
      connectPackets.delete(client);
      const refuse = (code: RefusalCode, returnCode: ConnackCode, identity?: Identity): void => {
        refusals.record({
          action: 'connect',
          code,
          clientId: client.id,
          identity,
          username,
          remoteAddress: remoteAddressOf(client),
        });
        callback(new RefusalError(code, returnCode) as AuthenticateError, null);
      };

      authenticator
        .authenticate(username, password, remoteAddressOf(client))
        .then((result) => {
          if (!result.allowed) return refuse(result.code, result.returnCode);
          const { identity, credentialsKey, passwordHash } = result;
          const connect = authorizeConnect(
            identity,
            { clientId: packet?.clientId ?? client.id, clean: client.clean, will: packet?.will },
            limits,
          );
          if (!connect.allowed) return refuse(connect.code, connect.returnCode, identity);
          // aedes drops a client closed while we were checking; admitting it would leak.
          if (client.closed) return callback(null, false);
          if (identity.role === 'server') {
            bufferSubscriberWrites(client, options.subscriberBufferBytes ?? DEFAULT_SUBSCRIBER_BUFFER_BYTES);
            serverClients.add(client);
            client.conn.once('close', () => serverClients.delete(client));
          }
          const throttle = identity.role === 'gateway' ? throttleFor(client, identity.username) : undefined;
          clients.set(client, { identity, will: packet?.will, throttle, passwordHash });
          // Answered when its identity's previous connection (a gateway has one) has gone.
          const admission = connections.admit(identity, client.id, client, () => callback(null, true));
          if (!admission.allowed) {
            clients.delete(client);
            return refuse(admission.code, admission.returnCode, identity);
          }
          if (throttle) throttles.add(throttle);
          const held = byUsername.get(identity.username) ?? new Set<Client>();
          held.add(client);
          byUsername.set(identity.username, held);
          // The connection closing is the one event that fires for every admitted client, whether
          // or not its session was set up. aedes forgets the client (unregisterClient) in the same
          // round of callbacks that closes it; the next one of the identity waits for that.
          client.conn.once('close', () => {
            setImmediate(() => connections.ended(client));
            authenticator.renew(credentialsKey);
            held.delete(client);
            if (held.size === 0 && byUsername.get(identity.username) === held)
              byUsername.delete(identity.username);
            throttle?.close();
            if (throttle) throttles.delete(throttle);
          });
        })
        .catch((error: unknown) => {
          logger.error(
            { err: error, clientId: client.id },
            `authentication failed unexpectedly for client ${client.id}`,
          );
          const unavailable = Object.assign(new Error('authentication unavailable'), {
            returnCode: ConnackCode.serverUnavailable,
          });
          callback(unavailable as AuthenticateError, null);
        });
    },

    // Called for a client's PUBLISH and, when the client goes away without DISCONNECT, for its will
    // (aedes lib/client.js). client is null only for a will left by another, dead broker instance.
    authorizePublish(client, packet, callback) {
      const state = client ? clients.get(client) : undefined;
      const action = state !== undefined && packet === state.will ? 'will' : 'publish';
      if (client === null || state === undefined) {
        refusals.record({
          action,
          code: RefusalCode.unknownClient,
          clientId: client?.id,
          topic: packet.topic,
        });
        return callback(new RefusalError(RefusalCode.unknownClient));
      }
      const decide = action === 'will' ? authorizeWill : authorizePublish;
      const decision = decide(state.identity, packet.topic, payloadBytes(packet), limits);
      if (!decision.allowed) {
        refusals.record({
          action,
          code: decision.code,
          clientId: client.id,
          identity: state.identity,
          topic: packet.topic,
        });
        // [MQTT-3.3.5-2] no way to tell the client; aedes closes the connection rather than
        // acknowledge a message that was not delivered.
        return callback(new RefusalError(decision.code));
      }
      // Holding the answer back holds the PUBACK and the delivery; the throttle also stops reading
      // the socket, so a flood waits in the sender's TCP window, not in broker memory.
      if (action === 'publish' && state.throttle && state.identity.role === 'gateway') {
        return state.throttle.admit(
          publishLane(state.identity, packet.topic),
          () => callback(null),
          payloadBytes(packet),
        );
      }
      callback(null);
    },

    authorizeSubscribe(client, subscription, callback) {
      const state = clients.get(client);
      const decision = state
        ? authorizeSubscribe(state.identity, subscription.topic)
        : ({ allowed: false, code: RefusalCode.unknownClient } as const);
      if (!decision.allowed) {
        refusals.record({
          action: 'subscribe',
          code: decision.code,
          clientId: client.id,
          identity: state?.identity,
          topic: subscription.topic,
        });
        // A null subscription makes aedes answer 0x80 (failure) for this filter [MQTT-3.9.3].
        return callback(null, null);
      }
      callback(null, subscription);
    },

    authorizeForward(client, packet) {
      const state = clients.get(client);
      if (state !== undefined && mayReceive(state.identity, packet.topic)) {
        metrics.delivered(packet.topic);
        return packet;
      }
      logger.warn(
        { event: 'forward-dropped', clientId: client.id, topic: packet.topic },
        `not forwarding ${JSON.stringify(packet.topic)} to client ${client.id}: not an allowed topic for it`,
      );
      return null;
    },
  };

  const durable = options.dataDir ? openDurablePersistence(options.dataDir) : null;
  if (durable) hooks.persistence = durable.persistence;
  else
    logger.warn(
      { event: 'memory-persistence' },
      'no data directory: queued messages do not survive a broker restart',
    );
  if (durable?.groupOrOthersCanAccess) {
    logger.warn(
      { event: 'data-dir-mode', dataDir: options.dataDir },
      `data directory ${options.dataDir} is open to group or others; make it owner-only (chmod 700)`,
    );
  }
  // Revoked, rotated past its overlap, or expired: cut every connection made with a secret that no
  // longer admits, at once (the replica notices within its poll interval).
  users.onChange?.((usernames) => {
    for (const username of usernames) {
      const held = byUsername.get(username);
      if (held === undefined) continue;
      const accepted = acceptedHashes(users.find(username));
      for (const client of held) {
        const state = clients.get(client);
        if (state === undefined || accepted.includes(state.passwordHash)) continue;
        logger.info(
          { event: 'credentials-withdrawn', clientId: client.id, username },
          `client ${client.id} (user ${username}) disconnected: its credentials were revoked or expired`,
        );
        client.close();
      }
    }
  });
  const aedes = await Aedes.createBroker(hooks);
  observe(aedes, logger, clients, refusals, remoteAddressOf);
  // Every accepted PUBLISH and will of a client; the broker's own ($SYS) messages have none.
  aedes.on('publish', (packet, client) => {
    if (client !== null) metrics.received(packet.topic);
  });
  aedes.on('clientReady', (client) => connections.ready(client));
  aedes.on('clientDisconnect', (client) => connections.ended(client));

  const accept = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    if (closing) {
      socket.destroy();
      return;
    }
    aedes.handle(new FrameLimitedConnection(socket, maxRemainingLength));
  };

  const listeners: Server[] = [];
  let healthServer: HttpServer | null = null;
  const shutDown = async (): Promise<void> => {
    closing = true;
    const listenersClosed = listeners.map((listener) => stopListening(listener));
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await durable?.close();
    // Connections that never completed CONNECT are not aedes clients; they would hold close() open.
    for (const socket of sockets) socket.destroy();
    await Promise.all(listenersClosed);
    if (healthServer) {
      const healthClosed = stopListening(healthServer);
      healthServer.closeAllConnections();
      await healthClosed;
    }
  };

  try {
    const tcp = createTcpServer({ noDelay: true }, accept);
    listeners.push(tcp);
    const port = await listen(tcp, options.port ?? DEFAULT_MQTT_PORT, host);
    tcp.on('error', (error) => logger.error({ err: error }, 'MQTT listener error'));

    let tlsPort: number | null = null;
    if (options.tls && tlsCredentials) {
      const tlsServer = createTlsServer(
        { ...tlsCredentials, minVersion: 'TLSv1.2', handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS },
        accept,
      );
      tlsServer.on('tlsClientError', (error, socket) =>
        logger.info(
          { event: 'tls-error', remoteAddress: socket.remoteAddress, err: error.message },
          `TLS handshake failed from ${socket.remoteAddress ?? 'unknown address'}: ${error.message}`,
        ),
      );
      listeners.push(tlsServer);
      tlsPort = await listen(tlsServer, options.tls.port ?? DEFAULT_MQTT_TLS_PORT, options.tls.host ?? host);
      tlsServer.on('error', (error) => logger.error({ err: error }, 'MQTT TLS listener error'));
    }

    const health = (): HealthReport => ({
      status: closing ? 'closing' : 'ok',
      clients: aedes.connectedClients,
      connections: connections.counts(),
      auth: authenticator.stats(),
      credentials: options.credentials?.status() ?? null,
      throttledClients: [...throttles].filter((throttle) => throttle.throttled).length,
      uptimeSeconds: Math.floor((performance.now() - startedAt) / 1000),
      refusals: refusals.counts(),
    });
    healthServer = createHealthServer(
      health,
      createAdminHandler({
        token: options.adminToken ?? null,
        level: durable?.level ?? null,
        closing: () => closing,
        logger,
      }),
      () => metrics.exposition(),
    );
    const healthPort = await listen(
      healthServer,
      options.healthPort ?? DEFAULT_HEALTH_PORT,
      options.healthHost ?? host,
    );
    healthServer.on('error', (error) => logger.error({ err: error }, 'health listener error'));

    logger.info(
      {
        event: 'listening',
        host,
        port,
        tlsPort,
        healthPort,
        users: users.size,
        maxPayloadBytes: limits.maxPayloadBytes,
      },
      `broker listening: mqtt ${host}:${port}${tlsPort === null ? '' : `, mqtts port ${tlsPort}`}, health port ${healthPort}`,
    );

    let closed: Promise<void> | null = null;
    return {
      port,
      tlsPort,
      healthPort,
      aedes,
      health,
      close: () => (closed ??= shutDown()),
    };
  } catch (error) {
    await shutDown().catch(() => undefined);
    throw error;
  }
}

function observe(
  aedes: Aedes,
  logger: Logger,
  clients: WeakMap<Client, ClientState>,
  refusals: Refusals,
  remoteAddressOf: (client: Client | null) => string | undefined,
): void {
  const who = (client: Client): Record<string, unknown> => {
    const identity = clients.get(client)?.identity;
    return {
      clientId: client.id,
      username: identity?.username,
      role: identity?.role,
      ...(identity?.role === 'gateway' ? { site: identity.site, gateway: identity.gateway } : {}),
    };
  };
  const described = (client: Client): string => {
    const identity = clients.get(client)?.identity;
    return `client ${client.id ?? '-'}${identity ? ` (${describeIdentity(identity)})` : ''}`;
  };

  aedes.on('clientReady', (client) => {
    logger.info(
      { event: 'connected', ...who(client), clean: client.clean },
      `${described(client)} connected`,
    );
  });
  aedes.on('clientDisconnect', (client) => {
    logger.info({ event: 'disconnected', ...who(client) }, `${described(client)} disconnected`);
  });
  aedes.on('keepaliveTimeout', (client) => {
    logger.info({ event: 'keepalive-timeout', ...who(client) }, `${described(client)} missed its keep-alive`);
  });

  const onClientError = (client: Client | null, error: Error): void => {
    // Refusals were logged where they were decided; aedes then closes the connection.
    if (error instanceof RefusalError) return;
    if (error instanceof FrameTooLargeError) {
      const identity = client ? clients.get(client)?.identity : undefined;
      refusals.record({
        action: 'packet',
        code: RefusalCode.frameTooLarge,
        clientId: client?.id ?? undefined,
        identity,
        remoteAddress: remoteAddressOf(client),
      });
      return;
    }
    const subject = client ? described(client) : 'connection';
    logger.warn(
      {
        event: 'client-error',
        ...(client ? who(client) : {}),
        remoteAddress: remoteAddressOf(client),
        err: error.message,
      },
      `${subject} closed after error: ${error.message}`,
    );
  };
  aedes.on('clientError', onClientError);
  aedes.on('connectionError', onClientError);
  // Without a listener an 'error' event would throw and end the process.
  (aedes as EventEmitter).on('error', (error: unknown) => logger.error({ err: error }, 'broker error'));

  aedes.on('publish', (packet, client) => {
    // Stored for every persistent subscription and handed to the online ones: the PUBACK may go.
    if (client && packet.qos === 1 && typeof packet.messageId === 'number')
      if (client.conn instanceof FrameLimitedConnection) client.conn.messageStored(packet.messageId);
    if (client === null || !logger.isLevelEnabled('debug')) return;
    logger.debug(
      {
        event: 'published',
        ...who(client),
        topic: packet.topic,
        bytes: payloadBytes(packet),
        qos: packet.qos,
      },
      `${described(client)} published to ${packet.topic}`,
    );
  });
}

function once(action: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    action();
  };
}

function payloadBytes(packet: Pick<PublishPacket, 'payload'>): number {
  return typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.byteLength;
}

async function readPem(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new BrokerError(
      BrokerErrorCode.configInvalid,
      `cannot read TLS ${what} ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops accepting at once; resolves when the last connection has gone. */
function stopListening(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}
