import { readFile } from 'node:fs/promises';
import { isTopicSegment } from '@wardline/protocol';
import { BrokerError, BrokerErrorCode } from './errors.js';
import { parsePasswordHash } from './password.js';
import { CLIENT_ID_SUFFIX_SEPARATOR, SERVER_CLIENT_ID_PREFIX } from './policy.js';

export type Role = 'gateway' | 'server';

export interface GatewayUser {
  username: string;
  passwordHash: string;
  role: 'gateway';
  site: string;
  gateway: string;
  /**
   * Store-backed (kit) users only: every kit secret hash accepted now, newest first (more than one
   * while a rotation overlaps). Checked at once, without the scrypt queue (see password.ts).
   */
  passwordHashes?: readonly string[];
}

export interface ServerUser {
  username: string;
  passwordHash: string;
  role: 'server';
}

export type UserEntry = GatewayUser | ServerUser;

/** The users file: `{ "users": [ { "username", "passwordHash", "role", "site"?, "gateway"? } ] }`. */
export interface UsersFile {
  users: UserEntry[];
}

const MAX_USERNAME_LENGTH = 128;
const commonKeys = ['username', 'passwordHash', 'role'];
const allowedKeys: Record<Role, ReadonlySet<string>> = {
  gateway: new Set([...commonKeys, 'site', 'gateway']),
  server: new Set(commonKeys),
};

/** Who may connect: the users file, the server's replicated kit credentials, or both in turn. */
export interface UserDirectory {
  find(username: string): UserEntry | undefined;
  readonly size: number;
  /** Calls `listener` with the user names whose credentials changed (revoked, rotated, expired). */
  onChange?(listener: (usernames: readonly string[]) => void): void;
}

/** The users file first (the server's own identity, bootstrap gateways), then the replica. */
export class LayeredUsers implements UserDirectory {
  readonly #layers: readonly UserDirectory[];

  constructor(...layers: UserDirectory[]) {
    this.#layers = layers;
  }

  find(username: string): UserEntry | undefined {
    for (const layer of this.#layers) {
      const user = layer.find(username);
      if (user !== undefined) return user;
    }
    return undefined;
  }

  get size(): number {
    return this.#layers.reduce((sum, layer) => sum + layer.size, 0);
  }

  onChange(listener: (usernames: readonly string[]) => void): void {
    for (const layer of this.#layers) layer.onChange?.(listener);
  }
}

export class UserRegistry implements UserDirectory {
  readonly #byUsername: ReadonlyMap<string, UserEntry>;

  /** Validates every entry; throws a BrokerError naming the first bad entry. */
  constructor(entries: readonly unknown[], source = 'users') {
    const byUsername = new Map<string, UserEntry>();
    entries.forEach((raw, index) => {
      const entry = parseUserEntry(raw, `${source}: users[${index}]`);
      if (byUsername.has(entry.username)) {
        throw invalid(`${source}: users[${index}]: username "${entry.username}" appears more than once`);
      }
      byUsername.set(entry.username, entry);
    });
    if (byUsername.size === 0) throw invalid(`${source}: no users; nobody could connect`);
    this.#byUsername = byUsername;
  }

  find(username: string): UserEntry | undefined {
    return this.#byUsername.get(username);
  }

  get size(): number {
    return this.#byUsername.size;
  }
}

export function parseUsersFile(json: unknown, source: string): UserRegistry {
  if (!isRecord(json) || !Array.isArray(json.users)) {
    throw invalid(`${source}: expected an object with a "users" array`);
  }
  const extra = Object.keys(json).filter((key) => key !== 'users');
  if (extra.length > 0) throw invalid(`${source}: unknown top-level key(s): ${extra.join(', ')}`);
  return new UserRegistry(json.users, source);
}

export async function loadUsersFile(path: string): Promise<UserRegistry> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw invalid(`cannot read users file ${path}: ${(error as Error).message}`, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw invalid(`users file ${path} is not valid JSON: ${(error as Error).message}`, error);
  }
  return parseUsersFile(json, path);
}

function parseUserEntry(raw: unknown, where: string): UserEntry {
  if (!isRecord(raw)) throw invalid(`${where}: expected an object`);
  const { username, passwordHash, role } = raw;
  if (typeof username !== 'string' || username.length === 0 || username.length > MAX_USERNAME_LENGTH) {
    throw invalid(
      `${where}: "username" must be a non-empty string of at most ${MAX_USERNAME_LENGTH} characters`,
    );
  }
  const named = `${where} (${username})`;
  // A gateway's client ids are `{username}` and `{username}:{suffix}`; a ':' in a user name would let
  // user "a" use the ids of a user named "a:b".
  if (username.includes(CLIENT_ID_SUFFIX_SEPARATOR)) {
    throw invalid(`${named}: "username" must not contain '${CLIENT_ID_SUFFIX_SEPARATOR}'`);
  }
  if (role !== 'gateway' && role !== 'server') {
    throw invalid(`${named}: "role" must be "gateway" or "server"`);
  }
  // Its client id is its user name, and ids starting with this are the server's alone.
  if (role === 'gateway' && username.startsWith(SERVER_CLIENT_ID_PREFIX)) {
    throw invalid(`${named}: a gateway's user name must not start with "${SERVER_CLIENT_ID_PREFIX}"`);
  }
  const extra = Object.keys(raw).filter((key) => !allowedKeys[role].has(key));
  if (extra.length > 0) throw invalid(`${named}: unknown key(s) for role ${role}: ${extra.join(', ')}`);
  if (typeof passwordHash !== 'string') throw invalid(`${named}: "passwordHash" must be a string`);
  try {
    parsePasswordHash(passwordHash);
  } catch (error) {
    throw invalid(
      `${named}: ${(error as Error).message} (make one with npm run hash-password -w @wardline/broker)`,
    );
  }
  if (role === 'server') return { username, passwordHash, role };

  const { site, gateway } = raw;
  if (typeof site !== 'string' || !isTopicSegment(site)) {
    throw invalid(`${named}: "site" must be a site code: lower-case letters, digits and '-', at most 63`);
  }
  if (typeof gateway !== 'string' || !isTopicSegment(gateway)) {
    throw invalid(
      `${named}: "gateway" must be a gateway code: lower-case letters, digits and '-', at most 63`,
    );
  }
  return { username, passwordHash, role, site, gateway };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string, cause?: unknown): BrokerError {
  return new BrokerError(BrokerErrorCode.usersFileInvalid, message, { cause });
}
