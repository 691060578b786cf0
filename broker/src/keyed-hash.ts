import { createHmac, randomBytes } from 'node:crypto';

/**
 * Fast keyed digests for in-memory lookups of secrets and of strings a client chose. The key is
 * random per process, so a digest is useless outside it, and a client cannot choose inputs that
 * collide; digests also keep a claimed user name of up to 64 KiB from becoming a 64 KiB map key.
 */
export class KeyedHash {
  readonly #key = randomBytes(32);

  /** Identifies a user name and password pair without keeping the password. */
  credentials(username: string, password: Uint8Array): string {
    const name = Buffer.from(username, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(name.length);
    // The length prefix keeps ("ab", "c") and ("a", "bc") apart.
    return createHmac('sha256', this.#key).update(length).update(name).update(password).digest('base64');
  }

  username(username: string): string {
    return createHmac('sha256', this.#key)
      .update('user\u0000')
      .update(username)
      .digest('base64')
      .slice(0, 22);
  }
}
