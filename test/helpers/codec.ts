import { randomBytes } from 'node:crypto';
import { Keyring, type KeyMaterial } from '../../src/connections/crypto.js';
import { dataConverterFor } from '../../src/temporal/codec.js';

/**
 * The key histories recorded for test/fixtures/histories are encrypted with (RECORD_HISTORIES):
 * a test fixture, not a secret (SHA-256 of a fixed phrase). Every test keyring keeps it as a
 * retired key, so the replay test reads those histories.
 */
export const FIXTURE_KEY: KeyMaterial = {
  id: 'fixtures',
  key: Buffer.from('/aIQnprfS8/jCzcEHHCGCggD+GE8uNusRGtemIUJupk=', 'base64'),
};

/**
 * The payload codec every test client and worker uses (the root hook's client, `withWorker`, the
 * time-skipping environment), so the whole suite runs with payloads encrypted as in production:
 * one random key per run under the id `test`, or the fixture key while recording histories.
 */
export const TEST_KEYRING = process.env['RECORD_HISTORIES']
  ? new Keyring(FIXTURE_KEY)
  : new Keyring({ id: 'test', key: randomBytes(32) }, [FIXTURE_KEY]);
export const testDataConverter = dataConverterFor(TEST_KEYRING);
