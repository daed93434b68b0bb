import { CredentialCheckError, unreachableReason } from '../errors.js';
import { LimiterRegistry } from '../limits.js';
import { TogaiClient, type TogaiClientOptions } from './client.js';

export * from './client.js';
export * from './schemas.js';
export { classifyTogaiResponse, classifyTogaiTransportError } from './classify.js';

export type TogaiCredentialCheckOptions = Omit<TogaiClientOptions, 'connectionId' | 'limiters'> & {
  connectionId?: string;
};

/**
 * One cheap authenticated GET with this API token; throws a CredentialCheckError naming Togai if
 * it is refused or Togai cannot be reached. For the connection service.
 */
export async function verifyTogaiCredentials(opts: TogaiCredentialCheckOptions): Promise<void> {
  const client = new TogaiClient({
    ...opts,
    connectionId: opts.connectionId ?? 'credential-check',
    limiters: new LimiterRegistry(),
  });
  try {
    await client.ping();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const unreachable = unreachableReason(err, opts.baseUrl);
    if (unreachable) {
      throw new CredentialCheckError(
        'togai',
        `Togai could not be reached at ${opts.baseUrl}: ${unreachable}`,
        {
          cause: err,
          unreachable: true,
        },
      );
    }
    throw new CredentialCheckError('togai', `Togai credential check failed at ${opts.baseUrl}: ${reason}`, {
      cause: err,
    });
  }
}
