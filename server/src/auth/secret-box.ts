import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Secrets kept at rest (TOTP seeds): sealed with AES-256-GCM when WARDLINE_SECRETS_KEY is set (32
 * bytes, base64 or hex), so that a copy of the database alone does not yield them; otherwise kept
 * as they are, marked so, and sealed the next time they are written once a key is set.
 */
export interface SecretBox {
  seal(plain: string): string;
  open(stored: string): string;
  readonly sealing: boolean;
}

export function parseSecretsKey(raw: string | undefined): Buffer | null {
  if (!raw) return null;
  const key = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32)
    throw new Error(
      'WARDLINE_SECRETS_KEY must be 32 bytes, base64 or hex (e.g. `openssl rand -base64 32`): fix it, or unset it to keep secrets unsealed',
    );
  return key;
}

export function createSecretBox(key: Buffer | null): SecretBox {
  return {
    sealing: key !== null,
    seal(plain) {
      if (!key) return `plain:${plain}`;
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return ['gcm', iv, cipher.getAuthTag(), sealed]
        .map((p) => (typeof p === 'string' ? p : p.toString('base64')))
        .join(':');
    },
    open(stored) {
      if (stored.startsWith('plain:')) return stored.slice('plain:'.length);
      const [scheme, iv, tag, sealed] = stored.split(':');
      if (scheme !== 'gcm' || !iv || !tag || !sealed) throw new Error('unknown sealed secret format');
      if (!key) throw new Error('a sealed secret needs WARDLINE_SECRETS_KEY to open');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64')), decipher.final()]).toString(
        'utf8',
      );
    },
  };
}
