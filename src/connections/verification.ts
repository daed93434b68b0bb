import type { ConnectionRecord } from './model.js';
import type { CredentialFailure, CredentialSide } from './errors.js';
import { scrubSecrets } from './secrets.js';
import type { CredentialVerifier, TogaiCredentials, ZuoraCredentials } from './verifier.js';

/**
 * Credential checks of a connection's two sides, each bounded by a timeout. Used when a connection
 * is created, updated, rotated or tested. Returns one failure per refusing side (an empty list
 * means both accepted); a reason never contains the secrets that were sent.
 */
export async function verifyCredentials(
  verifier: CredentialVerifier,
  c: Pick<ConnectionRecord, 'settings' | 'secrets'>,
  sides: readonly CredentialSide[],
  timeoutMs: number,
): Promise<CredentialFailure[]> {
  const zuora: ZuoraCredentials = {
    endpoint: c.settings.zuora.endpoint,
    clientId: c.settings.zuora.clientId,
    clientSecret: c.secrets.zuoraClientSecret,
  };
  const togai: TogaiCredentials = { baseUrl: c.settings.togai.baseUrl, apiToken: c.secrets.togaiApiToken };
  const secrets = Object.values(c.secrets).filter((v): v is string => typeof v === 'string');
  const results = await Promise.all(
    sides.map(async (side): Promise<CredentialFailure | undefined> => {
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        const check =
          side === 'zuora' ? verifier.verifyZuora(zuora, signal) : verifier.verifyTogai(togai, signal);
        // A verifier that ignores its signal must still not hold the caller past the timeout.
        await Promise.race([
          check,
          new Promise<never>((_, reject) =>
            signal.addEventListener('abort', () => reject(new Error(`no answer within ${timeoutMs} ms`)), {
              once: true,
            }),
          ),
        ]);
        return undefined;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const unreachable = (err as { unreachable?: unknown } | undefined)?.unreachable === true;
        return {
          side,
          reason: scrubSecrets(message || 'refused without a reason', secrets),
          ...(unreachable && { unreachable }),
        };
      }
    }),
  );
  return results.filter((r): r is CredentialFailure => r !== undefined);
}
