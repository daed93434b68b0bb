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

/** The current key of every test keyring: random per run, or the fixture key while recording. */
const TEST_KEY: KeyMaterial = process.env['RECORD_HISTORIES']
  ? FIXTURE_KEY
  : { id: 'test', key: randomBytes(32) };
const RETIRED: KeyMaterial[] = TEST_KEY === FIXTURE_KEY ? [] : [FIXTURE_KEY];

/**
 * The payload codec every test client and worker uses (the root hook's client, `withWorker`, the
 * time-skipping environment), so the whole suite runs with payloads encrypted as in production.
 */
export const TEST_KEYRING = new Keyring(TEST_KEY, RETIRED);
export const testDataConverter = dataConverterFor(TEST_KEYRING);

/**
 * The same keys as environment variables, for processes and configs that load their keyring from
 * the environment (a spawned `tzs`, `startGateway` from a config) and share the suite's Temporal:
 * what they write, the suite's workers read, and the other way round.
 */
export function testKeyEnv(): Record<string, string> {
  return {
    TZS_ENCRYPTION_KEY: TEST_KEY.key.toString('base64'),
    TZS_ENCRYPTION_KEY_ID: TEST_KEY.id,
    ...(RETIRED.length > 0 && {
      TZS_ENCRYPTION_OLD_KEYS: RETIRED.map((k) => `${k.id}:${k.key.toString('base64')}`).join(','),
    }),
  };
}
