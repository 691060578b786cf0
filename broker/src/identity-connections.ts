/**
 * How many connections an identity may hold. A gateway holds one: a new connection replaces the
 * old, which is closed as MQTT closes the older of two connections with one client id
 * [MQTT-3.1.4-2], whatever client ids the two use. The server holds a few client ids at once (its
 * routine and urgent sessions, plus room); a connection with a further id is refused, while one
 * reusing a held id is aedes' ordinary takeover.
 *
 * A gateway's connections take turns: the new one goes on only once the old one has fully ended,
 * so aedes never sets up two sessions of one identity at the same time (two CONNECTs with one
 * client id racing through aedes' set-up can leave both open). Among several waiting, only the
 * latest matters; the others are closed before they are answered.
 */
import { ConnackCode, RefusalCode } from './errors.js';
import type { ConnectDecision, Identity } from './policy.js';

interface Holder<C> {
  connection: C;
  /** Set up and answered (aedes 'clientReady'); only then can it be closed cleanly. */
  ready: boolean;
  closing: boolean;
}

interface GatewaySlot<C> {
  holder: Holder<C> | undefined;
  waiter: { connection: C; proceed: () => void } | undefined;
}

export interface ConnectionCounts {
  gateways: number;
  /** Gateway connections waiting for their identity's previous connection to end. */
  waiting: number;
  servers: number;
  /** Gateway connections closed because a newer one of the same identity arrived. */
  replaced: number;
}

export interface IdentityConnectionsOptions<C> {
  /** Distinct client ids one server identity may hold at once. */
  maxServerClientIds: number;
  /** Ends a connection that a newer one replaces; `ended` is expected to follow. */
  close: (connection: C) => void;
}

export class IdentityConnections<C> {
  readonly #maxServerClientIds: number;
  readonly #close: (connection: C) => void;
  readonly #gateways = new Map<string, GatewaySlot<C>>();
  /** Server user name -> client id -> its connections (two, briefly, during a takeover). */
  readonly #servers = new Map<string, Map<string, Set<C>>>();
  readonly #owners = new Map<C, { identity: Identity; clientId: string }>();
  #replaced = 0;

  constructor(options: IdentityConnectionsOptions<C>) {
    this.#maxServerClientIds = options.maxServerClientIds;
    this.#close = options.close;
  }

  /**
   * Admits a connection whose identity and client id were accepted. `proceed` is called (maybe at
   * once, maybe later, maybe never if a newer connection supersedes this one first) when it may go on.
   */
  admit(identity: Identity, clientId: string, connection: C, proceed: () => void): ConnectDecision {
    if (identity.role === 'server') {
      const ids = this.#servers.get(identity.username) ?? new Map<string, Set<C>>();
      if (!ids.has(clientId) && ids.size >= this.#maxServerClientIds) {
        return {
          allowed: false,
          code: RefusalCode.tooManyConnections,
          returnCode: ConnackCode.serverUnavailable,
        };
      }
      const connections = ids.get(clientId) ?? new Set<C>();
      connections.add(connection);
      ids.set(clientId, connections);
      this.#servers.set(identity.username, ids);
      this.#owners.set(connection, { identity, clientId });
      proceed();
      return { allowed: true };
    }

    const slot = this.#gateways.get(identity.username) ?? { holder: undefined, waiter: undefined };
    this.#gateways.set(identity.username, slot);
    this.#owners.set(connection, { identity, clientId });
    const superseded = slot.waiter;
    slot.waiter = { connection, proceed };
    if (superseded !== undefined) {
      this.#replaced += 1;
      this.#owners.delete(superseded.connection);
      this.#close(superseded.connection);
    }
    this.#pump(identity.username);
    return { allowed: true };
  }

  /** The connection is set up and answered. */
  ready(connection: C): void {
    const owner = this.#owners.get(connection);
    if (owner?.identity.role !== 'gateway') return;
    const slot = this.#gateways.get(owner.identity.username);
    if (slot?.holder?.connection !== connection) return;
    slot.holder.ready = true;
    this.#pump(owner.identity.username);
  }

  /** The connection is gone and aedes has forgotten it. Safe to call more than once. */
  ended(connection: C): void {
    const owner = this.#owners.get(connection);
    if (owner === undefined) return;
    this.#owners.delete(connection);
    const { identity, clientId } = owner;
    if (identity.role === 'server') {
      const ids = this.#servers.get(identity.username);
      const connections = ids?.get(clientId);
      connections?.delete(connection);
      if (connections?.size === 0) ids?.delete(clientId);
      if (ids?.size === 0) this.#servers.delete(identity.username);
      return;
    }
    const slot = this.#gateways.get(identity.username);
    if (slot === undefined) return;
    if (slot.holder?.connection === connection) slot.holder = undefined;
    if (slot.waiter?.connection === connection) slot.waiter = undefined;
    this.#pump(identity.username);
  }

  counts(): ConnectionCounts {
    let gateways = 0;
    let waiting = 0;
    for (const slot of this.#gateways.values()) {
      if (slot.holder !== undefined) gateways += 1;
      if (slot.waiter !== undefined) waiting += 1;
    }
    let servers = 0;
    for (const ids of this.#servers.values())
      for (const connections of ids.values()) servers += connections.size;
    return { gateways, waiting, servers, replaced: this.#replaced };
  }

  #pump(username: string): void {
    const slot = this.#gateways.get(username);
    if (slot === undefined) return;
    const { holder, waiter } = slot;
    if (waiter === undefined) {
      if (holder === undefined) this.#gateways.delete(username);
      return;
    }
    if (holder === undefined) {
      slot.holder = { connection: waiter.connection, ready: false, closing: false };
      slot.waiter = undefined;
      waiter.proceed();
      return;
    }
    // A holder still being set up is closed once ready: closing it halfway leaves aedes state behind.
    if (holder.ready && !holder.closing) {
      holder.closing = true;
      this.#replaced += 1;
      // Last: closing may end it synchronously, which pumps again.
      this.#close(holder.connection);
    }
  }
}
