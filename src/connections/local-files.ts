import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Dev-mode conveniences (encryption key, admin token) live in files under DATA_DIR, readable by
 * the owner only. `wx` makes creation atomic: two processes starting together agree on one value.
 */
export function readOrCreateSecretFile(
  path: string,
  create: () => string,
): { value: string; created: boolean } {
  try {
    return { value: readExisting(path), created: false };
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  mkdirSync(dirname(path), { recursive: true });
  try {
    writeFileSync(path, create(), { mode: 0o600, flag: 'wx' });
    return { value: readExisting(path), created: true };
  } catch (err) {
    if (isExists(err)) return { value: readExisting(path), created: false };
    throw err;
  }
}

function readExisting(path: string): string {
  // A file made by hand (or a umask-ignoring copy) may be too open: tighten it, it holds a secret.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return readFileSync(path, 'utf8').trim();
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

function isNotFound(err: unknown): boolean {
  return err instanceof Error && 'code' in err && err.code === 'ENOENT';
}
function isExists(err: unknown): boolean {
  return err instanceof Error && 'code' in err && err.code === 'EEXIST';
}
