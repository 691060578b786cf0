import { describe, expect, it } from 'vitest';
import { ConnackCode, RefusalCode } from './errors.js';
import { IdentityConnections } from './identity-connections.js';
import type { Identity } from './policy.js';

const gateway: Identity = { role: 'gateway', username: 'a.g1', site: 'site-a', gateway: 'gw-1' };
const otherGateway: Identity = { role: 'gateway', username: 'a.g2', site: 'site-a', gateway: 'gw-2' };
const server: Identity = { role: 'server', username: 'server' };

interface FakeConnection {
  name: string;
  proceeded: boolean;
  closed: boolean;
}

/** Plain objects for connections; `close` records the request, as aedes would act on it. */
function setUp(maxServerClientIds = 3) {
  const connections = new IdentityConnections<FakeConnection>({
    maxServerClientIds,
    close: (connection) => {
      connection.closed = true;
    },
  });
  const connect = (identity: Identity, name: string, clientId = identity.username) => {
    const connection: FakeConnection = { name, proceeded: false, closed: false };
    const decision = connections.admit(identity, clientId, connection, () => {
      connection.proceeded = true;
    });
    return { connection, decision };
  };
  return { connections, connect };
}

describe('IdentityConnections', () => {
  it("lets a gateway's first connection go on at once", () => {
    const { connections, connect } = setUp();
    const { connection, decision } = connect(gateway, 'first');
    expect(decision).toEqual({ allowed: true });
    expect(connection.proceeded).toBe(true);
    expect(connections.counts()).toMatchObject({ gateways: 1, waiting: 0 });
  });

  it('replaces a ready connection: closes it, and lets the new one on only once the old has ended', () => {
    const { connections, connect } = setUp();
    const old = connect(gateway, 'old').connection;
    connections.ready(old);
    const fresh = connect(gateway, 'new', 'a.g1:other-id').connection;
    expect(old.closed).toBe(true);
    expect(fresh.proceeded).toBe(false);
    connections.ended(old);
    expect(fresh.proceeded).toBe(true);
    expect(connections.counts()).toMatchObject({ gateways: 1, waiting: 0, replaced: 1 });
  });

  it('waits for a connection still being set up to be ready before closing it', () => {
    const { connections, connect } = setUp();
    const old = connect(gateway, 'old').connection;
    const fresh = connect(gateway, 'new').connection;
    expect(old.closed).toBe(false);
    connections.ready(old);
    expect(old.closed).toBe(true);
    connections.ended(old);
    expect(fresh.proceeded).toBe(true);
  });

  it('among several waiting, lets only the latest on and closes the others unanswered', () => {
    const { connections, connect } = setUp();
    const holder = connect(gateway, 'holder').connection;
    const waiting = Array.from({ length: 5 }, (_, i) => connect(gateway, `waiting-${i}`).connection);
    expect(waiting.slice(0, 4).every((c) => c.closed && !c.proceeded)).toBe(true);
    const latest = waiting[4]!;
    expect(latest.closed).toBe(false);
    connections.ready(holder);
    connections.ended(holder);
    // An ended call for a connection closed unanswered changes nothing.
    for (const connection of waiting.slice(0, 4)) connections.ended(connection);
    expect(latest.proceeded).toBe(true);
    expect(connections.counts()).toMatchObject({ gateways: 1, waiting: 0, replaced: 5 });
  });

  it('frees the identity when a waiting connection goes away by itself', () => {
    const { connections, connect } = setUp();
    const holder = connect(gateway, 'holder').connection;
    const waiting = connect(gateway, 'waiting').connection;
    connections.ended(waiting);
    connections.ready(holder);
    expect(holder.closed).toBe(false);
    connections.ended(holder);
    expect(connections.counts()).toMatchObject({ gateways: 0, waiting: 0 });
    expect(connect(gateway, 'later').connection.proceeded).toBe(true);
  });

  it('keeps gateways apart: one identity never closes another', () => {
    const { connections, connect } = setUp();
    const first = connect(gateway, 'g1').connection;
    connections.ready(first);
    const second = connect(otherGateway, 'g2').connection;
    expect(second.proceeded).toBe(true);
    expect(first.closed).toBe(false);
    expect(connections.counts().gateways).toBe(2);
  });

  it('lets the server hold a few client ids, refusing a further one with CONNACK 3', () => {
    const { connections, connect } = setUp(2);
    expect(connect(server, 'routine', 'wardline-server').connection.proceeded).toBe(true);
    const urgent = connect(server, 'urgent', 'wardline-server-urgent').connection;
    expect(connect(server, 'third', 'wardline-server-3').decision).toEqual({
      allowed: false,
      code: RefusalCode.tooManyConnections,
      returnCode: ConnackCode.serverUnavailable,
    });
    // A held id may connect again (aedes hands the session over); a freed slot may be reused.
    expect(connect(server, 'routine again', 'wardline-server').decision).toEqual({ allowed: true });
    connections.ended(urgent);
    expect(connect(server, 'third', 'wardline-server-3').decision).toEqual({ allowed: true });
    expect(connections.counts().servers).toBe(3);
  });
});
