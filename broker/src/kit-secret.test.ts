/** Kit secrets: server-made 256-bit tokens, kept as a salted HMAC and checked at once, never queued. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Authenticator, DEFAULT_AUTH_LIMITS } from './authenticator.js';
import { RefusalCode } from './errors.js';
import { hashKitSecret, hashPassword, isKitSecretHash, verifyKitSecret, verifyPassword } from './password.js';
import { LayeredUsers, UserRegistry, type GatewayUser, type UserDirectory } from './users.js';

const secret = () => randomBytes(32).toString('base64url');

describe('kit secret hashes', () => {
  it('verify the secret they hashed and nothing else, through both entry points', async () => {
    const plain = secret();
    const hash = hashKitSecret(plain);
    expect(hash).toMatch(/^sha256\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    expect(isKitSecretHash(hash)).toBe(true);
    expect(hash).not.toContain(plain);
    expect(verifyKitSecret(plain, hash)).toBe(true);
    expect(verifyKitSecret(Buffer.from(plain), hash)).toBe(true);
    expect(verifyKitSecret(`${plain}x`, hash)).toBe(false);
    expect(await verifyPassword(plain, hash)).toBe(true);
    expect(await verifyPassword(secret(), hash)).toBe(false);
    // Salted: one secret, two different hashes.
    expect(hashKitSecret(plain)).not.toBe(hash);
  });

  it('are not confused with scrypt hashes, and malformed ones verify nothing', async () => {
    const scrypt = await hashPassword('pw', { N: 1024, r: 8, p: 1 });
    expect(isKitSecretHash(scrypt)).toBe(false);
    expect(verifyKitSecret('pw', scrypt)).toBe(false);
    expect(verifyKitSecret('pw', 'sha256$short$short')).toBe(false);
  });
});

describe('store-backed users in the authenticator', () => {
  const plain = secret();
  const rotatedTo = secret();
  const kit: GatewayUser = {
    username: 'home.kit-00000001',
    role: 'gateway',
    site: 'home',
    gateway: 'kit-00000001',
    passwordHash: hashKitSecret(rotatedTo),
    passwordHashes: [hashKitSecret(rotatedTo), hashKitSecret(plain)],
  };
  const replica: UserDirectory = { find: (u) => (u === kit.username ? kit : undefined), size: 1 };

  it('admits every secret of an overlap at once, without the scrypt queue, and says which matched', async () => {
    const file = new UserRegistry([
      { username: 'server', role: 'server', passwordHash: await hashPassword('s', { N: 1024, r: 8, p: 1 }) },
    ]);
    // No scrypt slot at all: a kit secret must still be checked.
    const auth = new Authenticator(new LayeredUsers(file, replica), {
      ...DEFAULT_AUTH_LIMITS,
      hashConcurrency: 1,
      hashQueue: 0,
    });
    const old = await auth.authenticate(kit.username, Buffer.from(plain), '192.0.2.1');
    const current = await auth.authenticate(kit.username, Buffer.from(rotatedTo), '192.0.2.1');
    expect(old).toMatchObject({ allowed: true, via: 'kit', passwordHash: kit.passwordHashes![1] });
    expect(current).toMatchObject({ allowed: true, via: 'kit', passwordHash: kit.passwordHashes![0] });
    expect(await auth.authenticate(kit.username, Buffer.from('guess'), '192.0.2.1')).toMatchObject({
      allowed: false,
      code: RefusalCode.badPassword,
    });
  });
});
