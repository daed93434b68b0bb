import {
  AuthError,
  BusinessError,
  NotFoundError,
  RateLimitedError,
  RetryableError,
  type VendorError,
  type VendorErrorDetails,
} from '../errors.js';
import { describeTransportError, parseRetryAfter, type HttpResponse } from '../http.js';

/**
 * THE place where Togai answers become typed errors.
 *
 * Togai errors are `{"message": "..."}`. 429 is documented without Retry-After: when the header
 * is there we honour it, otherwise the retry waits one rate window (1 s). Togai API tokens are
 * static (no refresh), so 401 fails at once; 403 means the token lacks the permission: also
 * AuthFailed.
 */

function vendorMessageOf(body: unknown): string | undefined {
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const m = (body as Record<string, unknown>)['message'];
    if (typeof m === 'string' && m.length > 0) return m.length > 500 ? `${m.slice(0, 500)}…` : m;
  }
  return undefined;
}

/** Delay before retrying a Togai 429 that names none (its rate windows are one second). */
export const TOGAI_DEFAULT_RETRY_AFTER_MS = 1000;

export function classifyTogaiResponse(operation: string, res: HttpResponse): VendorError | undefined {
  const { status } = res;
  if (status >= 200 && status < 300) return undefined;
  const vendorMessage = vendorMessageOf(res.body);
  const details: VendorErrorDetails = {
    vendor: 'Togai',
    operation,
    status,
    ...(vendorMessage !== undefined && { vendorMessage }),
  };
  const said = vendorMessage !== undefined ? `: ${vendorMessage}` : '';
  const what = `Togai ${operation} failed (HTTP ${status})${said}`;

  if (status === 429) {
    // Togai's limits are per second and its 429 documents no Retry-After: wait one window.
    const retryAfterMs = parseRetryAfter(res.headers['retry-after']) ?? TOGAI_DEFAULT_RETRY_AFTER_MS;
    return new RateLimitedError(
      `Togai ${operation} was rate limited (HTTP 429${retryAfterMs !== undefined ? `, retry after ${retryAfterMs} ms` : ''})${said}`,
      details,
      retryAfterMs,
    );
  }
  if (status === 401) {
    return new AuthError(
      `Togai refused the API token for ${operation} (HTTP 401)${said}; check the connection's Togai API token`,
      details,
    );
  }
  if (status === 403) {
    return new AuthError(`Togai denied ${operation} to this API token (HTTP 403)${said}`, details);
  }
  if (status === 404) return new NotFoundError(what, details);
  if (status === 408 || status >= 500) return new RetryableError(what, details);
  if (status >= 300 && status < 400) return new RetryableError(`${what}: unexpected redirect`, details);
  return new BusinessError(what, details);
}

export function classifyTogaiTransportError(operation: string, err: unknown): RetryableError {
  return new RetryableError(
    `Togai ${operation}: no answer (${describeTransportError(err)})`,
    { vendor: 'Togai', operation },
    { cause: err },
  );
}
