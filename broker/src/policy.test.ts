import { describe, expect, it } from 'vitest';
import { ConnackCode, RefusalCode } from './errors.js';
import { hashPassword } from './password.js';
import {
  authorizeClientId,
  authorizeConnect,
  authorizePublish,
  authorizeSubscribe,
  authorizeWill,
  describeIdentity,
  identityOf,
  mayReceive,
  publishLane,
  type GatewayIdentity,
  type Identity,
} from './policy.js';
import { UserRegistry } from './users.js';

const gatewayA: Identity = { role: 'gateway', username: 'a.g1', site: 'site-a', gateway: 'gw-1' };
const server: Identity = { role: 'server', username: 'server' };
const limits = { maxPayloadBytes: 100 };

const hash = await hashPassword('gateway-secret', { N: 1024, r: 8, p: 1 });
const users = new UserRegistry([
  { username: 'a.g1', passwordHash: hash, role: 'gateway', site: 'site-a', gateway: 'gw-1' },
  { username: 'server', passwordHash: hash, role: 'server' },
]);

describe('authorizeClientId', () => {
  const notOwned = [RefusalCode.clientIdNotOwned, ConnackCode.identifierRejected] as const;
  const reserved = [RefusalCode.clientIdReserved, ConnackCode.identifierRejected] as const;
  it.each([
    ['a gateway using its user name', gatewayA, 'a.g1', null],
    ['a gateway using {username}:{suffix}', gatewayA, 'a.g1:bench-2', null],
    ['a gateway using an empty suffix', gatewayA, 'a.g1:', notOwned],
    ['a gateway using a longer name that starts with its own', gatewayA, 'a.g12', notOwned],
    ["a gateway using another gateway's user name", gatewayA, 'a.g2', notOwned],
    ["a gateway using another gateway's suffixed id", gatewayA, 'a.g2:a.g1', notOwned],
    ['a gateway using the old-style id', gatewayA, 'wardline-gw-site-a-gw-1', notOwned],
    ['a gateway using an empty id', gatewayA, '', notOwned],
    ["a gateway using the server's routine id", gatewayA, 'wardline-server', reserved],
    ["a gateway using the server's urgent id", gatewayA, 'wardline-server-urgent', reserved],
    ['the server using its routine id', server, 'wardline-server', null],
    ['the server using its urgent id', server, 'wardline-server-urgent', null],
    ["the server using a gateway's id", server, 'a.g1', notOwned],
    ['the server using an empty id', server, '', notOwned],
  ] as const)('%s', (_case, identity, clientId, refused) => {
    const expected = refused
      ? { allowed: false, code: refused[0], returnCode: refused[1] }
      : { allowed: true };
    expect(authorizeClientId(identity, clientId)).toEqual(expected);
  });
});

describe('identityOf', () => {
  it('builds the identity a users-file entry grants', () => {
    expect(identityOf(users.find('a.g1')!)).toEqual(gatewayA);
    expect(identityOf(users.find('server')!)).toEqual(server);
  });
});

describe('authorizeConnect', () => {
  const will = (topic: string, payload = 'offline', clientId = 'a.g1') => ({
    clientId,
    clean: true,
    will: { topic, payload },
  });
  it.each([
    ['no will', gatewayA, { clientId: 'a.g1', clean: false }, null],
    [
      'an empty client id with a clean session',
      gatewayA,
      { clientId: '', clean: true },
      [RefusalCode.clientIdNotOwned, ConnackCode.identifierRejected],
    ],
    [
      "a gateway resuming the server's persistent session",
      gatewayA,
      { clientId: 'wardline-server', clean: false },
      [RefusalCode.clientIdReserved, ConnackCode.identifierRejected],
    ],
    [
      "a gateway resuming another gateway's session",
      gatewayA,
      { clientId: 'a.g2', clean: false },
      [RefusalCode.clientIdNotOwned, ConnackCode.identifierRejected],
    ],
    [
      'an empty client id with a persistent session',
      gatewayA,
      { clientId: '', clean: false },
      [RefusalCode.clientIdRejected, ConnackCode.identifierRejected],
    ],
    ['a will on its own status topic', gatewayA, will('wardline/v1/site-a/gw-1/status'), null],
    [
      "a will on another gateway's status topic",
      gatewayA,
      will('wardline/v1/site-a/gw-2/status'),
      [RefusalCode.willNotAllowed, ConnackCode.notAuthorized],
    ],
    [
      'a will outside the scheme',
      gatewayA,
      will('$SYS/broker/clients'),
      [RefusalCode.willNotAllowed, ConnackCode.notAuthorized],
    ],
    [
      'a will larger than the cap',
      gatewayA,
      will('wardline/v1/site-a/gw-1/status', 'x'.repeat(101)),
      [RefusalCode.payloadTooLarge, ConnackCode.notAuthorized],
    ],
    [
      'a server will on a command topic',
      server,
      will('wardline/v1/site-a/gw-1/cmd/ping', 'x', 'wardline-server'),
      null,
    ],
  ] as const)('%s', (_case, identity, request, refused) => {
    const expected = refused
      ? { allowed: false, code: refused[0], returnCode: refused[1] }
      : { allowed: true };
    expect(authorizeConnect(identity, request, limits)).toEqual(expected);
  });
});

describe('authorizePublish', () => {
  it.each([
    [gatewayA, 'wardline/v1/site-a/gw-1/obs', 10, null],
    [gatewayA, 'wardline/v1/site-a/gw-1/urgent', 10, null],
    [gatewayA, 'wardline/v1/site-a/gw-1/devices', 10, null],
    [gatewayA, 'wardline/v1/site-a/gw-1/status', 10, null],
    [gatewayA, 'wardline/v1/site-a/gw-1/obs', 100, null],
    [gatewayA, 'wardline/v1/site-a/gw-1/obs', 101, RefusalCode.payloadTooLarge],
    [gatewayA, 'wardline/v1/site-a/gw-2/obs', 10, RefusalCode.publishNotAllowed],
    [gatewayA, 'wardline/v1/site-b/gw-1/obs', 10, RefusalCode.publishNotAllowed],
    [gatewayA, 'wardline/v1/site-a/gw-1/cmd/reboot', 10, RefusalCode.publishNotAllowed],
    [gatewayA, 'wardline/v1/site-a/gw-1/obs/extra', 10, RefusalCode.publishNotAllowed],
    [gatewayA, 'wardline/v1/site-a/gw-1/other', 10, RefusalCode.publishNotAllowed],
    [gatewayA, 'wardline/v2/site-a/gw-1/obs', 10, RefusalCode.publishNotAllowed],
    [gatewayA, '$SYS/broker/uptime', 10, RefusalCode.publishNotAllowed],
    [gatewayA, 'anything/else', 10, RefusalCode.publishNotAllowed],
    [server, 'wardline/v1/site-a/gw-1/cmd/reboot', 10, null],
    [server, 'wardline/v1/site-b/gw-9/cmd/config/interval', 10, null],
    [server, 'wardline/v1/site-a/gw-1/cmd/reboot', 101, RefusalCode.payloadTooLarge],
    [server, 'wardline/v1/site-a/gw-1/cmd', 10, RefusalCode.publishNotAllowed],
    [server, 'wardline/v1/site-a/gw-1/cmd/', 10, RefusalCode.publishNotAllowed],
    [server, 'wardline/v1/site-a/gw-1/cmd/a//b', 10, RefusalCode.publishNotAllowed],
    [server, 'wardline/v1/site-a/gw-1/cmd/+', 10, RefusalCode.publishNotAllowed],
    [server, 'wardline/v1/+/gw-1/cmd/reboot', 10, RefusalCode.publishNotAllowed],
    [server, 'wardline/v1/Site-A/gw-1/cmd/reboot', 10, RefusalCode.publishNotAllowed],
    [server, 'wardline/v1/site-a/gw-1/obs', 10, RefusalCode.publishNotAllowed],
    [server, 'wardline/v1/site-a/gw-1/status', 10, RefusalCode.publishNotAllowed],
    [server, '$SYS/broker/uptime', 10, RefusalCode.publishNotAllowed],
    [server, 'other/topic', 10, RefusalCode.publishNotAllowed],
  ] as const)('%o publishing %s with %i bytes', (identity, topic, bytes, refused) => {
    const expected = refused ? { allowed: false, code: refused } : { allowed: true };
    expect(authorizePublish(identity, topic, bytes, limits)).toEqual(expected);
  });

  it('judges a will by the publish rules but names the refusal as a will', () => {
    expect(authorizeWill(gatewayA, 'wardline/v1/site-a/gw-1/status', 7, limits)).toEqual({ allowed: true });
    expect(authorizeWill(gatewayA, 'wardline/v1/site-a/gw-2/status', 7, limits)).toEqual({
      allowed: false,
      code: RefusalCode.willNotAllowed,
    });
  });
});

describe('publishLane', () => {
  it.each([
    ['wardline/v1/site-a/gw-1/urgent', 'urgent'],
    ['wardline/v1/site-a/gw-1/obs', 'routine'],
    ['wardline/v1/site-a/gw-1/status', 'routine'],
    ['wardline/v1/site-a/gw-1/devices', 'routine'],
    // Only its own urgent topic; anything else is refused before a lane matters.
    ['wardline/v1/site-a/gw-2/urgent', 'routine'],
  ] as const)('%s draws from the %s bucket', (topic, lane) => {
    expect(publishLane(gatewayA as GatewayIdentity, topic)).toBe(lane);
  });
});

describe('authorizeSubscribe', () => {
  it.each([
    [gatewayA, 'wardline/v1/site-a/gw-1/cmd/#', true],
    [gatewayA, 'wardline/v1/site-a/gw-1/cmd/+', true],
    [gatewayA, 'wardline/v1/site-a/gw-1/cmd/reboot', true],
    [gatewayA, 'wardline/v1/site-a/gw-1/cmd', true],
    [gatewayA, 'wardline/v1/site-a/gw-2/cmd/#', false],
    [gatewayA, 'wardline/v1/site-a/+/cmd/#', false],
    [gatewayA, 'wardline/v1/site-a/gw-1/#', false],
    [gatewayA, 'wardline/v1/site-a/gw-1/+', false],
    [gatewayA, 'wardline/v1/site-a/gw-1/obs', false],
    [gatewayA, 'wardline/v1/site-a/gw-1/cmdx', false],
    [gatewayA, 'wardline/v1/#', false],
    [gatewayA, '#', false],
    [gatewayA, '$SYS/#', false],
    [gatewayA, 'wardline/v1/site-a/gw-1/cmd/#/x', false],
    [gatewayA, 'wardline/v1/site-a/gw-1/cmd/a+', false],
    [server, 'wardline/v1/+/+/obs', true],
    [server, 'wardline/v1/+/+/status', true],
    [server, 'wardline/v1/#', true],
    [server, 'wardline/v1/site-a/gw-1/cmd/#', true],
    [server, 'wardline/v1', false],
    [server, 'wardline/#', false],
    [server, '#', false],
    [server, '+/v1/+/+/obs', false],
    [server, '$SYS/#', false],
    [server, '$share/group/wardline/v1/#', false],
    [server, 'wardline/v1/#/obs', false],
    [server, '', false],
  ] as const)('%o subscribing to %s: %s', (identity, filter, allowed) => {
    const expected = allowed ? { allowed: true } : { allowed: false, code: RefusalCode.subscribeNotAllowed };
    expect(authorizeSubscribe(identity, filter)).toEqual(expected);
  });
});

describe('mayReceive', () => {
  it.each([
    [gatewayA, 'wardline/v1/site-a/gw-1/cmd/reboot', true],
    [gatewayA, 'wardline/v1/site-a/gw-2/cmd/reboot', false],
    [gatewayA, 'wardline/v1/site-a/gw-2/obs', false],
    [gatewayA, 'wardline/v1/site-a/gw-1/obs', false],
    [server, 'wardline/v1/site-a/gw-2/obs', true],
    [server, '$SYS/broker/heartbeat', false],
  ] as const)('%o receiving %s: %s', (identity, topic, expected) => {
    expect(mayReceive(identity, topic)).toBe(expected);
  });
});

describe('describeIdentity', () => {
  it('names the role, codes and user for log lines', () => {
    expect(describeIdentity(gatewayA)).toBe('gateway site-a/gw-1 (user a.g1)');
    expect(describeIdentity(server)).toBe('server (user server)');
  });
});
