import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerError, BrokerErrorCode } from './errors.js';
import { hashPassword } from './password.js';
import { loadUsersFile, parseUsersFile } from './users.js';

// The table below is built before any hook runs, so the hash must exist at import time.
const hash = await hashPassword('pw', { N: 1024, r: 8, p: 1 });
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wardline-users-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const gateway = () => ({
  username: 'a.g1',
  passwordHash: hash,
  role: 'gateway',
  site: 'site-a',
  gateway: 'gw-1',
});
const server = () => ({ username: 'server', passwordHash: hash, role: 'server' });

describe('users file', () => {
  it('loads gateway and server users from a file', async () => {
    const path = join(dir, 'users.json');
    await writeFile(path, JSON.stringify({ users: [gateway(), server()] }));
    const users = await loadUsersFile(path);
    expect(users.size).toBe(2);
    expect(users.find('a.g1')).toEqual(gateway());
    expect(users.find('server')).toEqual(server());
    expect(users.find('nobody')).toBeUndefined();
  });

  it('says which file cannot be read or parsed', async () => {
    const missing = join(dir, 'missing.json');
    await expect(loadUsersFile(missing)).rejects.toThrow(`cannot read users file ${missing}`);
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{"users": [');
    await expect(loadUsersFile(broken)).rejects.toThrow(`users file ${broken} is not valid JSON`);
  });

  it.each([
    ['not an object', [], /expected an object with a "users" array/],
    ['no users', { users: [] }, /no users; nobody could connect/],
    ['unknown top-level key', { users: [server()], groups: [] }, /unknown top-level key\(s\): groups/],
    ['entry not an object', { users: ['server'] }, /users\[0\]: expected an object/],
    ['missing username', { users: [{ ...server(), username: '' }] }, /"username" must be a non-empty string/],
    ['bad role', { users: [{ ...server(), role: 'admin' }] }, /users\[0\] \(server\): "role" must be/],
    [
      'typo in a key',
      { users: [{ ...server(), pasword: 'x' }] },
      /unknown key\(s\) for role server: pasword/,
    ],
    [
      'server with a site',
      { users: [{ ...server(), site: 'site-a' }] },
      /unknown key\(s\) for role server: site/,
    ],
    ['plain-text password', { users: [{ ...server(), passwordHash: 'secret' }] }, /must look like scrypt/],
    ['gateway without site', { users: [{ ...gateway(), site: undefined }] }, /"site" must be a site code/],
    ['site with a wildcard', { users: [{ ...gateway(), site: 'site-+' }] }, /"site" must be a site code/],
    [
      'gateway with a slash',
      { users: [{ ...gateway(), gateway: 'gw/1' }] },
      /"gateway" must be a gateway code/,
    ],
    [
      "a ':' in a user name",
      { users: [{ ...gateway(), username: 'a.g1:x' }] },
      /users\[0\] \(a\.g1:x\): "username" must not contain ':'/,
    ],
    [
      "a ':' in the server's user name",
      { users: [{ ...server(), username: 'server:1' }] },
      /"username" must not contain ':'/,
    ],
    [
      "a gateway named like the server's client ids",
      { users: [{ ...gateway(), username: 'wardline-server-2' }] },
      /a gateway's user name must not start with "wardline-server"/,
    ],
    [
      'duplicate user name',
      { users: [server(), server()] },
      /users\[1\]: username "server" appears more than once/,
    ],
  ])('rejects a file with %s', (_case, json, message) => {
    let thrown: unknown;
    try {
      parseUsersFile(json, 'users.json');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(BrokerError);
    expect((thrown as BrokerError).code).toBe(BrokerErrorCode.usersFileInvalid);
    expect((thrown as BrokerError).message).toMatch(message);
    expect((thrown as BrokerError).message).toMatch(/^users\.json/);
  });

  it('never echoes a password hash in its errors', () => {
    const leaky = `${hash}-and-more`;
    expect(() => parseUsersFile({ users: [{ ...server(), passwordHash: leaky }] }, 'users.json')).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(hash) as unknown }),
    );
  });
});
