import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
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

/** Thrown when a process that must not create keys finds none (see `loadKeyring`'s `create`). */
export class KeyringUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyringUnavailableError';
  }
}

/**
 * The keyring from TZS_ENCRYPTION_KEY (+ retired keys). In dev mode without a key, a local key
 * file under DATA_DIR is used (created on first start). Production without a key never gets here:
 * loadConfig refuses it.
 *
 * `create: false` (the CLI, scripts) never creates the dev key file: a process started from
 * another directory would otherwise make a key of its own and write data nobody else can read.
 * It throws KeyringUnavailableError naming the path and what to set instead.
 */
export function loadKeyring(config: Config, log: Logger, options: { create?: boolean } = {}): Keyring {
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
  if (options.create === false && !existsSync(path)) {
    throw new KeyringUnavailableError(
      `no encryption key: TZS_ENCRYPTION_KEY is unset and there is no dev key file at ${path}. ` +
        'Run from the directory `npm start` runs in (or set DATA_DIR to its data directory), or set TZS_ENCRYPTION_KEY',
    );
  }
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
