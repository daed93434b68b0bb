import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { Keyring } from '../../src/connections/crypto.js';
import { KeyringUnavailableError, loadKeyring } from '../../src/connections/keys.js';
import { capturingLogger } from '../connections/helpers.js';
import {
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  METADATA_KEY_ID,
  PayloadDecryptionError,
} from '../../src/temporal/codec.js';
import { testConfig } from '../helpers/temporal.js';

const key = (byte: number): Buffer => Buffer.alloc(32, byte);
const text = (u: Uint8Array | null | undefined): string =>
  Buffer.from(u ?? new Uint8Array()).toString('utf8');

const customer = {
  name: 'Zebulon Quartermaine',
  email: 'zq@example.org',
  amount: '1234.56',
};

function plain(value: unknown): Payload {
  return defaultPayloadConverter.toPayload(value);
}

describe('Payload codec (AES-256-GCM, key id in the metadata)', () => {
  const ringA = new Keyring({ id: 'kA', key: key(1) });
  const codecA = EncryptionCodec.fromKeyring(ringA);

  it('encrypts a payload: encoding binary/encrypted, the key id in the metadata, nothing readable in the bytes; decode gives it back', async () => {
    const original = plain(customer);
    const [encoded] = await codecA.encode([original]);
    assert.ok(encoded);
    assert.equal(text(encoded.metadata?.['encoding']), ENCRYPTED_ENCODING);
    assert.equal(text(encoded.metadata?.[METADATA_KEY_ID]), 'kA');
    const everything = Buffer.concat([
      ...Object.values(encoded.metadata ?? {}).map((v) => Buffer.from(v)),
      Buffer.from(encoded.data ?? new Uint8Array()),
    ]).toString('latin1');
    for (const needle of [customer.name, customer.email, customer.amount, 'json/plain']) {
      assert.ok(!everything.includes(needle), `${needle} is readable in the encrypted payload`);
    }
    const [decoded] = await codecA.decode([encoded]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(decoded!), customer);
    assert.equal(text(decoded?.metadata?.['encoding']), 'json/plain');
  });

  it('uses a fresh nonce per payload: the same value encrypts differently every time', async () => {
    const [one, two] = await codecA.encode([plain(customer), plain(customer)]);
    assert.notDeepEqual(Buffer.from(one!.data!), Buffer.from(two!.data!));
  });

  it('an altered byte fails authentication with an error naming the key id', async () => {
    const [encoded] = await codecA.encode([plain(customer)]);
    const data = Buffer.from(encoded!.data!);
    data[20] = (data[20] ?? 0) ^ 0x01;
    await assert.rejects(
      codecA.decode([{ ...encoded, data }]),
      (err: unknown) =>
        err instanceof PayloadDecryptionError &&
        err.keyId === 'kA' &&
        /authentication.*"kA"/.test(err.message),
    );
  });

  it('a payload relabelled with another configured key id fails instead of decrypting', async () => {
    const ring = new Keyring({ id: 'kB', key: key(2) }, [{ id: 'kA', key: key(1) }]);
    const codec = EncryptionCodec.fromKeyring(ring);
    const [encoded] = await codec.encode([plain(customer)]);
    const metadata = { ...encoded!.metadata, [METADATA_KEY_ID]: Buffer.from('kA') };
    await assert.rejects(codec.decode([{ ...encoded, metadata }]), PayloadDecryptionError);
  });

  it('an unknown key id fails with a clear error naming that key id and where to configure it', async () => {
    const [encoded] = await codecA.encode([plain(customer)]);
    const other = EncryptionCodec.fromKeyring(new Keyring({ id: 'kB', key: key(2) }));
    await assert.rejects(
      other.decode([encoded!]),
      (err: unknown) =>
        err instanceof PayloadDecryptionError &&
        err.keyId === 'kA' &&
        err.message.includes('"kA"') &&
        err.message.includes('TZS_ENCRYPTION_OLD_KEYS'),
    );
  });

  it('payloads that are not encrypted pass through decode unchanged (histories from before the codec)', async () => {
    const original = plain(customer);
    const empty = plain(undefined);
    const [a, b] = await codecA.decode([original, empty]);
    assert.equal(a, original);
    assert.equal(b, empty);
  });

  it('key rotation: what key A wrote is decoded once A is retired and B is current; B encodes with B', async () => {
    const [byA] = await codecA.encode([plain(customer)]);
    const rotated = EncryptionCodec.fromKeyring(
      new Keyring({ id: 'kB', key: key(2) }, [{ id: 'kA', key: key(1) }]),
    );
    const [decoded] = await rotated.decode([byA!]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(decoded!), customer);
    const [byB] = await rotated.encode([plain(customer)]);
    assert.equal(text(byB?.metadata?.[METADATA_KEY_ID]), 'kB');
    await assert.rejects(codecA.decode([byB!]), /"kB"/);
  });

  it('payload keys are derived (HKDF), not the raw keyring keys: the raw key cannot read a payload', async () => {
    const [encoded] = await codecA.encode([plain(customer)]);
    const raw = new EncryptionCodec('kA', new Map([['kA', key(1)]]));
    await assert.rejects(raw.decode([encoded!]), PayloadDecryptionError);
    const derived = ringA.derive('togai-zuora-sync temporal payload codec v1').keys.get('kA');
    assert.ok(derived && !derived.equals(key(1)));
  });

  it('a CLI without the key (no TZS_ENCRYPTION_KEY, no dev key file) fails naming the path, and creates nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tzs-codec-'));
    try {
      const config = testConfig({ DATA_DIR: join(dir, 'data') });
      assert.throws(
        () => loadKeyring(config, capturingLogger().log, { create: false }),
        (err: unknown) =>
          err instanceof KeyringUnavailableError &&
          err.message.includes(join(dir, 'data', 'encryption-key.json')) &&
          err.message.includes('TZS_ENCRYPTION_KEY'),
      );
      // The service itself creates it; then the CLI reads the same key.
      const created = loadKeyring(config, capturingLogger().log);
      const read = loadKeyring(config, capturingLogger().log, { create: false });
      assert.equal(read.currentKeyId, created.currentKeyId);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
