import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger.js';
import { Keyring } from '../../src/connections/crypto.js';
import type { CreateConnectionInput } from '../../src/connections/model.js';
import type {
  CredentialVerifier,
  TogaiCredentials,
  ZuoraCredentials,
} from '../../src/connections/verifier.js';

export function testKeyring(id = 'k1', retired: { id: string; key: Buffer }[] = []): Keyring {
  return new Keyring({ id, key: randomBytes(32) }, retired);
}

export function tempDir(prefix = 'tzs-conn-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A pino logger at trace level whose every line is kept, to prove what was (not) logged. */
export function capturingLogger(): { log: Logger; text(): string } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { log: createLogger('trace', sink), text: () => lines.join('') };
}

/**
 * A fake verifier that accepts exactly the registered credentials. This is not Temporal: a fake
 * is the honest way to test the service's rules; the real verifier is wired from src/clients.
 */
export class FakeVerifier implements CredentialVerifier {
  readonly zuoraGood = new Map<string, string>();
  readonly togaiGood = new Set<string>();
  calls: string[] = [];
  /** When set, refusals echo the submitted secret, as a careless vendor error might. */
  echoSecrets = false;

  acceptZuora(clientId: string, secret: string): this {
    this.zuoraGood.set(clientId, secret);
    return this;
  }
  acceptTogai(token: string): this {
    this.togaiGood.add(token);
    return this;
  }

  verifyZuora(c: ZuoraCredentials): Promise<void> {
    this.calls.push(`zuora:${c.endpoint}`);
    if (this.zuoraGood.get(c.clientId) === c.clientSecret) return Promise.resolve();
    const echo = this.echoSecrets ? ` (client_secret=${c.clientSecret})` : '';
    return Promise.reject(new Error(`invalid_client (HTTP 401)${echo}`));
  }
  verifyTogai(c: TogaiCredentials): Promise<void> {
    this.calls.push(`togai:${c.baseUrl}`);
    if (this.togaiGood.has(c.apiToken)) return Promise.resolve();
    const echo = this.echoSecrets ? ` token ${c.apiToken}` : '';
    return Promise.reject(new Error(`Unauthorized (HTTP 401)${echo}`));
  }
}

export const ZUORA_CLIENT_ID = 'zuora-client-0001';
export const ZUORA_SECRET = 'zuora-secret-Qm9vb2JhcmJhemJpbmdv';
export const TOGAI_TOKEN = 'togai-token-ZGVhZGJlZWZkZWFkYmVlZg';

export function goodVerifier(): FakeVerifier {
  return new FakeVerifier().acceptZuora(ZUORA_CLIENT_ID, ZUORA_SECRET).acceptTogai(TOGAI_TOKEN);
}

export function validInput(overrides: Partial<CreateConnectionInput> = {}): CreateConnectionInput {
  return {
    name: 'Acme production',
    zuora: {
      endpoint: 'https://rest.apisandbox.zuora.com',
      clientId: ZUORA_CLIENT_ID,
      clientSecret: ZUORA_SECRET,
    },
    togai: { baseUrl: 'https://sandbox-api.togai.com', apiToken: TOGAI_TOKEN },
    ...overrides,
  };
}
