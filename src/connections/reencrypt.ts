import type { ConnectionRecord } from './model.js';
import type { ConnectionStore } from './store.js';

/**
 * After an encryption key rotation: rewrites every row still encrypted with a retired key (the
 * store encrypts with the current key on every write). `touch` bumps the version and time stamp
 * the way every other write does, so replicas see the change. Returns the ids rewritten.
 */
export async function reencryptStaleRows(
  store: ConnectionStore,
  currentKeyId: string,
  touch: (record: ConnectionRecord) => ConnectionRecord,
): Promise<string[]> {
  const stale = (await store.list()).filter((r) => r.keyId !== currentKeyId);
  const done: string[] = [];
  for (const summary of stale) {
    const record = await store.get(summary.id);
    if (!record) continue;
    // A concurrent edit rewrote the row already (with the current key): nothing left to do.
    if (await store.update(touch(record), record.version)) done.push(record.id);
  }
  return done;
}
