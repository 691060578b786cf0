import { describe, expect, it } from 'vitest';
import { hashPassword, parsePasswordHash, verifyPassword } from './password.js';

const cheap = { N: 1024, r: 8, p: 1 };

describe('password hashing', () => {
  it('verifies the password it hashed and nothing else', async () => {
    const hash = await hashPassword('correct horse', cheap);
    expect(hash).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword(Buffer.from('correct horse'), hash)).toBe(true);
    expect(await verifyPassword('correct horsE', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('salts every hash', async () => {
    const [first, second] = await Promise.all([hashPassword('same', cheap), hashPassword('same', cheap)]);
    expect(first).not.toBe(second);
  });

  it('uses the default cost when none is given', async () => {
    const hash = await hashPassword('pw');
    expect(parsePasswordHash(hash).cost).toEqual({ N: 16384, r: 8, p: 1 });
    expect(await verifyPassword('pw', hash)).toBe(true);
  });

  it('refuses to hash an empty password', async () => {
    await expect(hashPassword('')).rejects.toThrow(/empty/);
  });

  it.each([
    ['not a hash', /must look like/],
    ['bcrypt$1$2$3$AAAA$AAAA', /must look like/],
    ['scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', /power of two/],
    [
      'scrypt$2097152$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      /power of two/,
    ],
    ['scrypt$1024$64$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', /r must be/],
    ['scrypt$1024$8$0$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', /p must be/],
    ['scrypt$1024$8$1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', /salt must be at least/],
    ['scrypt$1024$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA', /hash must be 16/],
    ['scrypt$1024$8$1$!!!!$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', /salt must be base64/],
  ])('rejects the malformed stored hash %s', async (stored, message) => {
    expect(() => parsePasswordHash(stored)).toThrow(message);
    expect(await verifyPassword('anything', stored)).toBe(false);
  });
});
