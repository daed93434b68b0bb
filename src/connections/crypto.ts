import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { SecretDecryptionError } from './errors.js';

/**
 * AES-256-GCM with a key id in every ciphertext, so keys can rotate: new writes use the current
 * key, reads find the key by id among the current and retired ones.
 *
 * Format: `v1.<keyId>.<iv b64url>.<tag b64url>.<ciphertext b64url>`. The additional authenticated
 * data binds a ciphertext to its row (the connection id), so a blob copied onto another row fails
 * to decrypt instead of handing that row someone else's credentials.
 */

export interface KeyMaterial {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

const VERSION = 'v1';

export class Keyring {
  private readonly byId: Map<string, Buffer>;

  constructor(
    private readonly current: KeyMaterial,
    retired: KeyMaterial[] = [],
  ) {
    this.byId = new Map([...retired, current].map((k) => [k.id, k.key]));
    for (const [id, key] of this.byId) {
      if (key.length !== 32) throw new Error(`encryption key ${id} must be 32 bytes, got ${key.length}`);
    }
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  encrypt(plaintext: string, aad: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [
      VERSION,
      this.current.id,
      iv.toString('base64url'),
      tag.toString('base64url'),
      ct.toString('base64url'),
    ].join('.');
  }

  decrypt(blob: string, aad: string): string {
    const parts = blob.split('.');
    const [version, keyId, iv, tag, ct] = parts;
    if (parts.length !== 5 || version !== VERSION || !keyId || !iv || !tag || ct === undefined) {
      throw new SecretDecryptionError('stored secrets are not in a known encrypted format');
    }
    const key = this.byId.get(keyId);
    if (!key) {
      throw new SecretDecryptionError(
        `stored secrets are encrypted with key id "${keyId}", which is not configured ` +
          `(current: "${this.current.id}"; add the old key to TZS_ENCRYPTION_OLD_KEYS)`,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new SecretDecryptionError(
        `stored secrets failed authentication with key id "${keyId}" (wrong key, or the row was altered)`,
      );
    }
  }

  /**
   * Keys for another purpose, derived from every key of the ring with HKDF-SHA256 (RFC 5869; no
   * salt, `info` names the purpose), under the same ids: the raw keys never serve two purposes,
   * and rotating TZS_ENCRYPTION_KEY rotates the derived keys with it. Each derived key is 32 bytes.
   * Used by the Temporal payload codec (src/temporal/codec.ts).
   */
  derive(info: string): { currentId: string; keys: ReadonlyMap<string, Buffer> } {
    const keys = new Map<string, Buffer>();
    for (const [id, key] of this.byId) {
      keys.set(id, Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), Buffer.from(info, 'utf8'), 32)));
    }
    return { currentId: this.current.id, keys };
  }

  /** The key id a blob was written with, to find rows still on a retired key. */
  static keyIdOf(blob: string): string | undefined {
    return blob.split('.')[1];
  }
}
