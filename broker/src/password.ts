import {
  createHmac,
  randomBytes,
  scrypt,
  timingSafeEqual,
  type BinaryLike,
  type ScryptOptions,
} from 'node:crypto';

/**
 * Password hashes are stored as `scrypt$N$r$p$saltBase64$hashBase64`, so that the cost can be raised
 * later without invalidating existing entries.
 */
const SCHEME = 'scrypt';

export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/**
 * Node's default cost: 16 MiB and tens of milliseconds per check. Clients authenticate once per
 * connection, and after a broker restart every gateway reconnects at once.
 */
export const DEFAULT_SCRYPT_COST: ScryptCost = { N: 2 ** 14, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 32;

// Bounds keep a hostile or mistyped users file from making each login allocate gigabytes.
const MIN_LOG2_N = 10;
const MAX_LOG2_N = 20;
const MAX_R = 32;
const MAX_P = 16;
const MIN_SALT_BYTES = 8;
const MIN_KEY_BYTES = 16;
const MAX_KEY_BYTES = 128;

export interface ParsedPasswordHash {
  cost: ScryptCost;
  salt: Buffer;
  key: Buffer;
}

/** Parses a stored hash; the error message says what is wrong, never echoes the hash. */
export function parsePasswordHash(stored: string): ParsedPasswordHash {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== SCHEME) {
    throw new Error(`password hash must look like ${SCHEME}$N$r$p$saltBase64$hashBase64`);
  }
  const [, nText, rText, pText, saltText, keyText] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const N = parsePositiveInteger(nText, 'N');
  const r = parsePositiveInteger(rText, 'r');
  const p = parsePositiveInteger(pText, 'p');
  const log2N = Math.log2(N);
  if (!Number.isInteger(log2N) || log2N < MIN_LOG2_N || log2N > MAX_LOG2_N) {
    throw new Error(`password hash N must be a power of two from 2^${MIN_LOG2_N} to 2^${MAX_LOG2_N}`);
  }
  if (r > MAX_R) throw new Error(`password hash r must be at most ${MAX_R}`);
  if (p > MAX_P) throw new Error(`password hash p must be at most ${MAX_P}`);
  const salt = parseBase64(saltText, 'salt');
  const key = parseBase64(keyText, 'hash');
  if (salt.length < MIN_SALT_BYTES)
    throw new Error(`password hash salt must be at least ${MIN_SALT_BYTES} bytes`);
  if (key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) {
    throw new Error(`password hash must be ${MIN_KEY_BYTES} to ${MAX_KEY_BYTES} bytes`);
  }
  return { cost: { N, r, p }, salt, key };
}

export async function hashPassword(plain: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  if (plain.length === 0) throw new Error('password must not be empty');
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(plain, salt, KEY_BYTES, cost);
  return [SCHEME, cost.N, cost.r, cost.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/**
 * Gateway kit secrets are 256-bit random tokens made by the server, never chosen by a person, so
 * guessing one is hopeless however fast each guess: they are stored as `sha256$saltBase64$digestBase64`
 * (HMAC-SHA256 of the secret keyed by the salt), which checks in microseconds. After a broker restart
 * 10,000 hubs reconnect at once; at scrypt's cost that queue takes minutes. People's passwords keep scrypt.
 */
const FAST_SCHEME = 'sha256';
const FAST_PATTERN = /^sha256\$([A-Za-z0-9+/]{22}==)\$([A-Za-z0-9+/]{43}=)$/;

/** Hashes a server-generated high-entropy secret (see FAST_SCHEME); never a person's password. */
export function hashKitSecret(secret: string): string {
  const salt = randomBytes(SALT_BYTES);
  const digest = createHmac('sha256', salt).update(secret, 'utf8').digest();
  return [FAST_SCHEME, salt.toString('base64'), digest.toString('base64')].join('$');
}

export function isKitSecretHash(stored: string): boolean {
  return FAST_PATTERN.test(stored);
}

/** Synchronous: a kit secret check costs microseconds. False for anything not a kit secret hash. */
export function verifyKitSecret(plain: string | Uint8Array, stored: string): boolean {
  const match = FAST_PATTERN.exec(stored);
  if (match === null) return false;
  const salt = Buffer.from(match[1]!, 'base64');
  const expected = Buffer.from(match[2]!, 'base64');
  const candidate = createHmac('sha256', salt)
    .update(typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain)
    .digest();
  return timingSafeEqual(candidate, expected);
}

/**
 * False for a wrong password and for a malformed stored hash (users files are validated at load).
 * Both schemes: scrypt for passwords, sha256 for kit secrets.
 */
export async function verifyPassword(plain: string | Uint8Array, stored: string): Promise<boolean> {
  if (stored.startsWith(`${FAST_SCHEME}$`)) return verifyKitSecret(plain, stored);
  let parsed: ParsedPasswordHash;
  try {
    parsed = parsePasswordHash(stored);
  } catch {
    return false;
  }
  const candidate = await derive(plain, parsed.salt, parsed.key.length, parsed.cost);
  return timingSafeEqual(candidate, parsed.key);
}

function derive(plain: BinaryLike, salt: Buffer, length: number, { N, r, p }: ScryptCost): Promise<Buffer> {
  // scrypt needs about 128 * N * r bytes; the default maxmem (32 MiB) is too small for N = 2^15.
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(plain, salt, length, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function parsePositiveInteger(text: string, name: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(text)) throw new Error(`password hash ${name} must be a positive integer`);
  return Number(text);
}

function parseBase64(text: string, name: string): Buffer {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new Error(`password hash ${name} must be base64`);
  }
  return Buffer.from(text, 'base64');
}
