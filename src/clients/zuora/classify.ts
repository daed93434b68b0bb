import {
  AuthError,
  BusinessError,
  NotFoundError,
  RateLimitedError,
  RetryableError,
  type VendorError,
  type VendorErrorDetails,
} from '../errors.js';
import { describeTransportError, headerValue, parseRetryAfter, type HttpResponse } from '../http.js';

/**
 * THE place where Zuora answers become typed errors.
 *
 * Zuora's rules (developer guide "Error handling" and "Rate limits"):
 * - an HTTP 200 can still be a failure: `success: false` (REST), `Success: false` (object API);
 * - error codes are 8 digits whose last two give the category: 10 permission, 11 authentication,
 *   20/21/22 invalid/unknown/missing field, 30 business rule, 40 not found, 45 unsupported,
 *   50 locking contention, 60 internal, 61 temporary, 70 limit exceeded, 90 malformed, 99
 *   integration; Zuora says to retry only 50, 61, 70 and 99;
 * - 429 carries Retry-After; 409 = a request with the same Idempotency-Key is still in flight
 *   (retry later: the replay will carry the first answer); 422 on an Idempotency-Key = the key was
 *   used for another method/path (a bug on our side: not retryable).
 */

const RETRYABLE_CATEGORIES = new Set(['50', '61', '70', '99']);

/** Object-API (CRUD) fault codes that mean "try again" (Zuora SOAP/object fault codes). */
const RETRYABLE_OBJECT_CODES = new Set([
  'LOCK_COMPETITION',
  'SERVER_UNAVAILABLE',
  'REQUEST_EXCEEDED_LIMIT',
  'REQUEST_EXCEEDED_RATE',
  'TEMPORARY_ERROR',
]);
const NOT_FOUND_OBJECT_CODES = new Set(['INVALID_ID', 'OBJECT_NOT_FOUND']);

interface Reason {
  code: string | undefined;
  message: string | undefined;
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** Collects `{code, message}` from every error shape Zuora uses. */
export function zuoraReasons(body: unknown): Reason[] {
  const obj = asRecord(body);
  if (!obj) return [];
  const out: Reason[] = [];
  for (const listKey of ['reasons', 'errors', 'Errors']) {
    const list = obj[listKey];
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      const r = asRecord(item);
      if (r) out.push({ code: text(r['code'] ?? r['Code']), message: text(r['message'] ?? r['Message']) });
    }
  }
  if (out.length === 0) {
    const message = text(obj['message'] ?? obj['Message'] ?? obj['error_description'] ?? obj['error']);
    if (message !== undefined) out.push({ code: undefined, message });
  }
  return out;
}

/** True when a 2xx body says it failed. */
export function isZuoraFailureBody(body: unknown): boolean {
  const obj = asRecord(body);
  return obj !== undefined && (obj['success'] === false || obj['Success'] === false);
}

function truncate(s: string, max = 500): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

type Category = 'retryable' | 'not-found' | 'auth' | 'business';

function categoryOf(code: string | undefined): Category | undefined {
  if (code === undefined) return undefined;
  if (/^\d{8}$/.test(code)) {
    const cat = code.slice(-2);
    if (RETRYABLE_CATEGORIES.has(cat)) return 'retryable';
    if (cat === '40') return 'not-found';
    if (cat === '11') return 'auth';
    return 'business';
  }
  if (RETRYABLE_OBJECT_CODES.has(code)) return 'retryable';
  if (NOT_FOUND_OBJECT_CODES.has(code)) return 'not-found';
  return 'business';
}

/**
 * The error for a Zuora answer, or undefined if the answer is a success. `status` 401 is only
 * classified here after the client's one refresh-and-retry.
 */
export function classifyZuoraResponse(operation: string, res: HttpResponse): VendorError | undefined {
  const { status, body } = res;
  const failedBody = isZuoraFailureBody(body);
  if (status >= 200 && status < 300 && !failedBody) return undefined;

  const reasons = zuoraReasons(body);
  const first = reasons.find((r) => r.code !== undefined) ?? reasons[0];
  const vendorMessage = reasons
    .map((r) => (r.code ? `${r.code}: ${r.message ?? ''}` : (r.message ?? '')))
    .filter((m) => m.length > 0)
    .join('; ');
  const details: VendorErrorDetails = {
    vendor: 'Zuora',
    operation,
    status,
    ...(first?.code !== undefined && { code: first.code }),
    ...(vendorMessage && { vendorMessage: truncate(vendorMessage) }),
    ...(headerValue(res.headers, 'zuora-request-id') && {
      requestId: headerValue(res.headers, 'zuora-request-id'),
    }),
  };
  const said = vendorMessage ? `: ${truncate(vendorMessage)}` : '';
  const what = `Zuora ${operation} failed (HTTP ${status})${said}`;

  if (status === 429) {
    const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
    return new RateLimitedError(
      `Zuora ${operation} was rate limited (HTTP 429${retryAfterMs !== undefined ? `, retry after ${retryAfterMs} ms` : ''})${said}`,
      details,
      retryAfterMs,
    );
  }
  if (status === 401) {
    return new AuthError(
      `Zuora refused the OAuth token for ${operation} even after a refresh (HTTP 401)${said}; check the connection's client id and secret`,
      details,
    );
  }
  if (status === 409) {
    return new RetryableError(
      `Zuora ${operation}: a request with the same Idempotency-Key is in flight (HTTP 409)${said}`,
      details,
    );
  }
  if (status === 404) return new NotFoundError(what, details);
  if (status >= 500) return new RetryableError(what, details);
  if (status === 422) return new BusinessError(what, details);

  // A 2xx with success:false, or another 4xx: the error code decides. Any retryable reason wins:
  // Zuora may list a lock contention beside its consequences.
  const categories = new Set(reasons.map((r) => categoryOf(r.code)).filter((c) => c !== undefined));
  if (categories.has('retryable')) return new RetryableError(what, details);
  if (categories.has('auth')) return new AuthError(what, details);
  if (categories.has('not-found') && categories.size === 1) return new NotFoundError(what, details);
  if (status >= 300 && status < 400) return new RetryableError(`${what}: unexpected redirect`, details);
  return new BusinessError(what, details);
}

/** Network errors, resets and timeouts: always retryable (Idempotency-Key makes a replayed POST safe). */
export function classifyZuoraTransportError(operation: string, err: unknown): RetryableError {
  return new RetryableError(
    `Zuora ${operation}: no answer (${describeTransportError(err)})`,
    { vendor: 'Zuora', operation },
    { cause: err },
  );
}
