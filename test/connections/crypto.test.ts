import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';
import { Keyring } from '../../src/connections/crypto.js';
import { SecretDecryptionError } from '../../src/connections/errors.js';
import { devKeyFilePath, loadKeyring } from '../../src/connections/keys.js';
import type { ConnectionRecord } from '../../src/connections/model.js';
import { maskSecret, safeEqual, scrubSecrets } from '../../src/connections/secrets.js';
import { capturingLogger, tempDir } from './helpers.js';

const b64 = (fill: number): string => Buffer.alloc(32, fill).toString('base64');

describe('connection secrets: encryption and keys', () => {
  it('AES-256-GCM round-trips, with a fresh IV each time and the key id in the ciphertext', () => {
    const ring = new Keyring({ id: 'k7', key: randomBytes(32) });
    const a = ring.encrypt('s3cret-value', 'row-1');
    const b = ring.encrypt('s3cret-value', 'row-1');
    assert.notEqual(a, b, 'fresh IV per encryption');
    assert.ok(a.startsWith('v1.k7.'));
    assert.ok(!a.includes('s3cret'));
    assert.equal(ring.decrypt(a, 'row-1'), 's3cret-value');
  });

  it('detects tampering, a wrong row binding and a wrong key', () => {
    const ring = new Keyring({ id: 'k1', key: randomBytes(32) });
    const blob = ring.encrypt('hello', 'row-1');
    const parts = blob.split('.');
    const ct = Buffer.from(parts[4] ?? '', 'base64url');
    ct[0] = (ct[0] ?? 0) ^ 1;
    const tampered = [...parts.slice(0, 4), ct.toString('base64url')].join('.');
    assert.throws(() => ring.decrypt(tampered, 'row-1'), SecretDecryptionError);
    assert.throws(() => ring.decrypt(blob, 'row-2'), /failed authentication/);
    assert.throws(
      () => new Keyring({ id: 'k1', key: randomBytes(32) }).decrypt(blob, 'row-1'),
      /failed authentication/,
    );
    assert.throws(() => ring.decrypt('plain text', 'row-1'), /not in a known encrypted format/);
  });

  it('reads old ciphertexts through retired keys and names a missing key id', () => {
    const oldKey = { id: 'old', key: randomBytes(32) };
    const blob = new Keyring(oldKey).encrypt('hello', 'r');
    const rotated = new Keyring({ id: 'new', key: randomBytes(32) }, [oldKey]);
    assert.equal(rotated.decrypt(blob, 'r'), 'hello');
    assert.ok(rotated.encrypt('x', 'r').startsWith('v1.new.'), 'new writes use the current key');
    assert.throws(
      () => new Keyring({ id: 'new', key: randomBytes(32) }).decrypt(blob, 'r'),
      /key id "old", which is not configured .*TZS_ENCRYPTION_OLD_KEYS/,
    );
    assert.throws(() => new Keyring({ id: 'short', key: randomBytes(16) }), /must be 32 bytes/);
  });

  it('production refuses to start without TZS_ENCRYPTION_KEY; bad keys are named without echoing them', () => {
    assert.throws(
      () => loadConfig({ TZS_MODE: 'production' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /TZS_ENCRYPTION_KEY: required when TZS_MODE=production/.test(err.message),
    );
    const shortKey = Buffer.alloc(16, 3).toString('base64');
    assert.throws(
      () => loadConfig({ TZS_ENCRYPTION_KEY: shortKey }),
      (err: unknown) =>
        err instanceof ConfigError && /TZS_ENCRYPTION_KEY: expected 32 random bytes/.test(err.message),
    );
    const badOld = `k0:${shortKey}`;
    assert.throws(
      () => loadConfig({ TZS_ENCRYPTION_KEY: b64(1), TZS_ENCRYPTION_OLD_KEYS: badOld }),
      (err: unknown) =>
        err instanceof ConfigError &&
        !err.message.includes(shortKey) &&
        /entry 1 is not id:/.test(err.message),
    );
    const c = loadConfig({
      TZS_MODE: 'production',
      TZS_ENCRYPTION_KEY: b64(1),
      TZS_ENCRYPTION_KEY_ID: 'k2',
      TZS_ENCRYPTION_OLD_KEYS: `k1:${b64(2)}, k0:${b64(3)}`,
    });
    assert.deepEqual(c.encryption, {
      key: b64(1),
      keyId: 'k2',
      oldKeys: [
        { id: 'k1', key: b64(2) },
        { id: 'k0', key: b64(3) },
      ],
    });
    assert.throws(
      () => loadConfig({ TZS_ENCRYPTION_KEY: b64(1), TZS_ENCRYPTION_OLD_KEYS: `k1:${b64(2)}` }),
      /must not contain the current/,
    );
  });

  it('uses the configured key and its retired keys', () => {
    const logs = capturingLogger();
    const oldBlob = new Keyring({ id: 'k1', key: Buffer.alloc(32, 2) }).encrypt('hello', 'r');
    const ring = loadKeyring(
      loadConfig({
        TZS_ENCRYPTION_KEY: b64(1),
        TZS_ENCRYPTION_KEY_ID: 'k2',
        TZS_ENCRYPTION_OLD_KEYS: `k1:${b64(2)}`,
      }),
      logs.log,
    );
    assert.equal(ring.currentKeyId, 'k2');
    assert.equal(ring.decrypt(oldBlob, 'r'), 'hello');
    assert.ok(!logs.text().includes(b64(1)));
  });

  it('dev mode without a key creates a local key file (0600) once, says so, and reuses it', () => {
    const dir = tempDir();
    try {
      const config = loadConfig({ DATA_DIR: join(dir.path, 'data') });
      const logs = capturingLogger();
      const ring = loadKeyring(config, logs.log);
      const path = devKeyFilePath(config);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.match(logs.text(), /created a local encryption key/);
      assert.ok(logs.text().includes(path));
      const keyText = readFileSync(path, 'utf8');
      const key = (JSON.parse(keyText) as { key: string }).key;
      assert.ok(!logs.text().includes(key), 'the key itself is never logged');

      const blob = ring.encrypt('hello', 'r');
      const again = loadKeyring(config, capturingLogger().log);
      assert.equal(again.decrypt(blob, 'r'), 'hello', 'the same key after a restart');
      assert.equal(readFileSync(path, 'utf8'), keyText);

      writeFileSync(path, '{"id": "local", "key": "short"}');
      assert.throws(() => loadKeyring(config, logs.log), /not a valid key file/);
    } finally {
      dir.remove();
    }
  });

  it('masks, scrubs and compares secrets', () => {
    assert.equal(maskSecret('abcdefghijklmnopqrstuvwxyz'), 'abcd…****');
    assert.equal(maskSecret('short'), '****');
    assert.equal(scrubSecrets('bad token tok-123456 here', ['tok-123456']), 'bad token [redacted] here');
    assert.equal(safeEqual('same', 'same'), true);
    assert.equal(safeEqual('same', 'sam'), false);
    assert.equal(safeEqual('', 'x'), false);
  });

  it('the logger redacts a whole connection record logged by mistake', () => {
    const logs = capturingLogger();
    const secrets = {
      zuoraClientSecret: 'zs-aaaaaaaaaaaa',
      togaiApiToken: 'tt-bbbbbbbbbbbb',
      togaiHmacSecret: 'th-cccccccccccc',
    };
    const partial = { id: 'conn_x', secrets } as unknown as ConnectionRecord;
    logs.log.info({ connection: partial }, 'oops');
    logs.log.info({ ...secrets }, 'oops again');
    logs.log.info(
      { zuora: { clientSecret: 'zc-dddddddddddd' }, nested: { togaiApiToken: 'tt-eeeeeeeeeeee' } },
      'and nested',
    );
    const out = logs.text();
    for (const s of [...Object.values(secrets), 'zc-dddddddddddd', 'tt-eeeeeeeeeeee'])
      assert.ok(!out.includes(s), s);
    assert.match(out, /\[redacted\]/);
  });
});
