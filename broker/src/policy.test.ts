import { describe, expect, it } from 'vitest';
import { ConnackCode, RefusalCode } from './errors.js';
import { hashPassword } from './password.js';
import {
  authenticate,
  authorizeConnect,
  authorizePublish,
  authorizeSubscribe,
  authorizeWill,
  describeIdentity,
  mayReceive,
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

describe('authenticate', () => {
  it.each([
    ['a known gateway with its password', 'a.g1', 'gateway-secret', { allowed: true, identity: gatewayA }],
    ['the server with its password', 'server', 'gateway-secret', { allowed: true, identity: server }],
    [
      'a wrong password',
      'a.g1',
      'guess',
      { allowed: false, code: RefusalCode.badPassword, returnCode: ConnackCode.badUsernameOrPassword },
    ],
    [
      'a user name and no password',
      'a.g1',
      undefined,
      { allowed: false, code: RefusalCode.badPassword, returnCode: ConnackCode.badUsernameOrPassword },
    ],
    [
      'an unknown user',
      'mallory',
      'gateway-secret',
      { allowed: false, code: RefusalCode.unknownUser, returnCode: ConnackCode.badUsernameOrPassword },
    ],
    [
      'no credentials at all',
      undefined,
      undefined,
      { allowed: false, code: RefusalCode.noCredentials, returnCode: ConnackCode.notAuthorized },
    ],
  ])('%s', async (_case, username, password, expected) => {
    const result = await authenticate(
      users,
      username,
      password === undefined ? undefined : Buffer.from(password),
    );
    expect(result).toEqual(expected);
  });
});

describe('authorizeConnect', () => {
  const will = (topic: string, payload = 'offline') => ({
    clientId: 'c',
    clean: true,
    will: { topic, payload },
  });
  it.each([
    ['no will', gatewayA, { clientId: 'gw', clean: false }, null],
    ['an empty client id with a clean session', gatewayA, { clientId: '', clean: true }, null],
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
    ['a server will on a command topic', server, will('wardline/v1/site-a/gw-1/cmd/ping'), null],
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
