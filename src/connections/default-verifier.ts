import { verifyTogaiCredentials, verifyZuoraCredentials } from '../clients/index.js';
import type { CredentialVerifier } from './verifier.js';

/**
 * The production verifier, over the real clients (src/clients): a fresh Zuora OAuth token, and
 * one cheap authenticated Togai list call. The clients' own message ("Zuora credential check failed
 * at <url>: <reason>") is reshaped into a reason, since the service says which side failed.
 */
export function createDefaultVerifier(): CredentialVerifier {
  return {
    async verifyZuora(c) {
      await reshape(
        verifyZuoraCredentials({ baseUrl: c.endpoint, clientId: c.clientId, clientSecret: c.clientSecret }),
      );
    },
    async verifyTogai(c) {
      await reshape(verifyTogaiCredentials({ baseUrl: c.baseUrl, apiToken: c.apiToken }));
    },
  };
}

async function reshape(check: Promise<void>): Promise<void> {
  try {
    await check;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const m = /^(?:Zuora|Togai) credential check failed at (\S+): ([\s\S]*)$/.exec(message);
    throw new Error(m ? `${m[2]} (${m[1]})` : message);
  }
}
