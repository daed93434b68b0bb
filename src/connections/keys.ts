import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { Keyring } from './crypto.js';
import { readOrCreateSecretFile } from './local-files.js';

const keyFileSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/),
  key: z.string().refine((k) => Buffer.from(k, 'base64').length === 32, 'expected 32 bytes base64'),
});

export function devKeyFilePath(config: Config): string {
  return resolve(join(config.dataDir, 'encryption-key.json'));
}

/**
 * The keyring from TZS_ENCRYPTION_KEY (+ retired keys). In dev mode without a key, a local key
 * file under DATA_DIR is used (created on first start). Production without a key never gets here:
 * loadConfig refuses it.
 */
export function loadKeyring(config: Config, log: Logger): Keyring {
  const retired = config.encryption.oldKeys.map((k) => ({ id: k.id, key: Buffer.from(k.key, 'base64') }));
  if (config.encryption.key) {
    return new Keyring(
      { id: config.encryption.keyId, key: Buffer.from(config.encryption.key, 'base64') },
      retired,
    );
  }
  if (config.mode !== 'dev') {
    throw new Error('TZS_ENCRYPTION_KEY is required outside dev mode');
  }
  const path = devKeyFilePath(config);
  const { value, created } = readOrCreateSecretFile(
    path,
    () => JSON.stringify({ id: 'local', key: randomBytes(32).toString('base64') }) + '\n',
  );
  const parsed = keyFileSchema.safeParse(JSON.parse(value));
  if (!parsed.success)
    throw new Error(`${path} is not a valid key file ({"id": "...", "key": "<32 bytes base64>"})`);
  if (created) {
    log.warn(
      { path },
      'dev mode: created a local encryption key for connection secrets; set TZS_ENCRYPTION_KEY in production',
    );
  } else {
    log.debug({ path }, 'dev mode: using the local encryption key file');
  }
  return new Keyring({ id: parsed.data.id, key: Buffer.from(parsed.data.key, 'base64') }, retired);
}
