import { CredentialCheckError, unreachableReason, VendorError } from '../errors.js';
import { LimiterRegistry } from '../limits.js';
import { ZuoraClient, type ZuoraClientOptions } from './client.js';
import { ZuoraTokenRegistry } from './oauth.js';

export * from './client.js';
export * from './schemas.js';
export { classifyZuoraResponse, classifyZuoraTransportError } from './classify.js';
export { ZuoraTokenProvider, ZuoraTokenRegistry, processZuoraTokens } from './oauth.js';

export type ZuoraCredentialCheckOptions = Omit<ZuoraClientOptions, 'connectionId' | 'limiters' | 'tokens'> & {
  connectionId?: string;
};

/**
 * Fetches a token with these credentials (never a cached one) and throws a CredentialCheckError
 * naming Zuora if that fails. For the connection service, before it stores a connection.
 */
export async function verifyZuoraCredentials(opts: ZuoraCredentialCheckOptions): Promise<void> {
  const client = new ZuoraClient({
    ...opts,
    connectionId: opts.connectionId ?? 'credential-check',
    // Private registries: the check must really talk to /oauth/token, and must not occupy the
    // live connection's concurrency slots or token cache.
    tokens: new ZuoraTokenRegistry(),
    limiters: new LimiterRegistry(),
  });
  try {
    await client.getToken();
  } catch (err) {
    const reason =
      err instanceof VendorError ? err.message : err instanceof Error ? err.message : String(err);
    const unreachable = unreachableReason(err, opts.baseUrl);
    if (unreachable) {
      throw new CredentialCheckError(
        'zuora',
        `Zuora could not be reached at ${opts.baseUrl}: ${unreachable}`,
        {
          cause: err,
          unreachable: true,
        },
      );
    }
    throw new CredentialCheckError('zuora', `Zuora credential check failed at ${opts.baseUrl}: ${reason}`, {
      cause: err,
    });
  }
}
