import type { z } from 'zod';
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE, FAILURE_TYPES, type FailureType } from '../shared/failures.js';

/**
 * Typed client errors, and their one translation into Temporal failures.
 *
 * The clients classify every failed call into one of these classes (in ONE place per vendor:
 * `zuora/classify.ts`, `togai/classify.ts`); activities do not look at HTTP statuses. Temporal
 * owns retrying (the clients never retry, except Zuora's single 401 → refresh → retry), so the
 * only question a class answers is "should Temporal try again, and when".
 *
 * Messages carry the vendor's own message and code, never credentials or tokens.
 */

export type Vendor = 'Zuora' | 'Togai';

export interface VendorErrorDetails {
  vendor: Vendor;
  /** The operation, e.g. `createAccount`, for people reading a failed activity. */
  operation: string;
  /** HTTP status, when there was an answer. */
  status?: number;
  /** The vendor's error code (Zuora's 8-digit codes or object-API codes), when given. */
  code?: string;
  /** The vendor's own message, verbatim (truncated). */
  vendorMessage?: string;
  /** Zuora-Request-Id or similar, to quote to vendor support. */
  requestId?: string;
}

export abstract class VendorError extends Error {
  /** ApplicationFailure type suffix: the full type is `${vendor}${kind}` except for AuthFailed. */
  abstract readonly kind: string;
  readonly vendor: Vendor;
  readonly operation: string;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly vendorMessage: string | undefined;
  readonly requestId: string | undefined;

  constructor(message: string, details: VendorErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.vendor = details.vendor;
    this.operation = details.operation;
    this.status = details.status;
    this.code = details.code;
    this.vendorMessage = details.vendorMessage;
    this.requestId = details.requestId;
  }

  /** Whether Temporal should try again: the failure table's word for this type (src/shared/failures.ts). */
  get retryable(): boolean {
    return FAILURE_TYPES[this.failureType].retryable;
  }

  /** The ApplicationFailure `type` (src/shared/failures.ts) workflows match on and retry policies list. */
  get failureType(): FailureType {
    return `${this.vendor}${this.kind}` as FailureType;
  }

  get details(): VendorErrorDetails {
    return {
      vendor: this.vendor,
      operation: this.operation,
      ...(this.status !== undefined && { status: this.status }),
      ...(this.code !== undefined && { code: this.code }),
      ...(this.vendorMessage !== undefined && { vendorMessage: this.vendorMessage }),
      ...(this.requestId !== undefined && { requestId: this.requestId }),
    };
  }
}

/** Network errors, timeouts, 5xx, Zuora 409 (same key in flight), Zuora codes ending 50/61/70/99. */
export class RetryableError extends VendorError {
  readonly kind = 'Retryable';
  override readonly name = 'RetryableError';
}

/** 429: retry, but not before `retryAfterMs` when the vendor said so (Retry-After). */
export class RateLimitedError extends VendorError {
  readonly kind = 'RateLimited';
  override readonly name = 'RateLimitedError';
  constructor(
    message: string,
    details: VendorErrorDetails,
    readonly retryAfterMs: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, details, options);
  }
}

/** 404, Zuora code ending in 40: the object is not there; retrying will not make it appear. */
export class NotFoundError extends VendorError {
  readonly kind = 'NotFound';
  override readonly name = 'NotFoundError';
}

/** Validation 4xx and business-rule refusals: the request itself must change. */
export class BusinessError extends VendorError {
  readonly kind = 'BusinessError';
  override readonly name = 'BusinessError';
}

/** Credentials refused (after one token refresh for Zuora), or not allowed (403). */
export class AuthError extends VendorError {
  readonly kind = 'AuthFailed';
  override readonly name = 'AuthError';
  override get failureType(): FailureType {
    return FAILURE.AuthFailed;
  }
}

/**
 * A 2xx whose body does not match the contract. Not retried: the same call will get the same
 * shape; it needs a code change (or the vendor changed its API).
 */
export class InvalidResponseError extends VendorError {
  readonly kind = 'InvalidResponse';
  override readonly name = 'InvalidResponseError';
}

/**
 * Thrown by `verifyZuoraCredentials` / `verifyTogaiCredentials`: names the side that failed, and
 * whether it was reached at all (`unreachable`: DNS, refused connection, TLS, timeout), in which
 * case the credentials were never checked and must not be blamed.
 */
export class CredentialCheckError extends Error {
  override readonly name = 'CredentialCheckError';
  readonly unreachable: boolean;
  constructor(
    readonly side: 'zuora' | 'togai',
    message: string,
    options?: { cause?: unknown; unreachable?: boolean },
  ) {
    super(message, options);
    this.unreachable = options?.unreachable ?? false;
  }
}

const TRANSPORT_CODES: Record<string, (host: string) => string> = {
  ENOTFOUND: (host) => `the host name ${host} does not resolve (DNS); check the URL and this machine's DNS`,
  EAI_AGAIN: (host) => `the host name ${host} could not be resolved now (DNS temporarily failing)`,
  ECONNREFUSED: (host) => `nothing accepts connections at ${host} (connection refused)`,
  ECONNRESET: (host) => `${host} closed the connection`,
  EHOSTUNREACH: (host) => `no route to ${host} (network unreachable)`,
  ENETUNREACH: (host) => `no route to ${host} (network unreachable)`,
  ETIMEDOUT: (host) => `${host} did not answer in time`,
  CERT_HAS_EXPIRED: (host) => `the TLS certificate of ${host} has expired`,
  DEPTH_ZERO_SELF_SIGNED_CERT: (host) => `${host} presents a self-signed TLS certificate`,
  SELF_SIGNED_CERT_IN_CHAIN: (host) => `${host} presents a TLS certificate this machine does not trust`,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: (host) => `${host} presents a TLS certificate this machine cannot verify`,
  ERR_TLS_CERT_ALTNAME_INVALID: (host) => `the TLS certificate of ${host} is for another host name`,
};

/**
 * Why a vendor could not be reached, from a network error anywhere in `err`'s cause chain (got's
 * RequestError codes, Node's system errors): a sentence naming the host, or undefined when the
 * vendor did answer (then the answer is what failed).
 */
export function unreachableReason(err: unknown, url: string): string | undefined {
  let host = url;
  try {
    host = new URL(url).host;
  } catch {
    // Not a URL: name it as given.
  }
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      const describe = TRANSPORT_CODES[code];
      if (describe) return describe(host);
      if (code.startsWith('E') && e.name === 'RequestError') return `${host} could not be reached (${code})`;
    }
    if (e.name === 'TimeoutError') return `${host} did not answer in time`;
  }
  return undefined;
}

/**
 * The one mapping from client errors to Temporal failures:
 * - RetryableError → retryable `ZuoraRetryable` / `TogaiRetryable`;
 * - RateLimitedError → retryable `…RateLimited`, `nextRetryDelay` = Retry-After when given;
 * - NotFoundError, BusinessError, InvalidResponseError → non-retryable, vendor message kept;
 * - AuthError → non-retryable `AuthFailed`;
 * - an ApplicationFailure passes through; anything else (a bug) becomes a retryable failure of
 *   its own name, the same as Temporal would do with it.
 * The original error is the failure's `cause`; `details[0]` holds the VendorErrorDetails.
 */
export function toApplicationFailure(err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof VendorError) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.failureType,
      nonRetryable: !err.retryable,
      details: [err.details],
      cause: err,
      ...(err instanceof RateLimitedError &&
        err.retryAfterMs !== undefined && { nextRetryDelay: err.retryAfterMs }),
    });
  }
  if (err instanceof CredentialCheckError) {
    // Unreachable vendor: worth retrying; refused credentials: not.
    const cause = err.cause instanceof VendorError ? err.cause : undefined;
    const retryable = cause?.retryable ?? false;
    return ApplicationFailure.create({
      message: err.message,
      type: retryable && cause ? cause.failureType : FAILURE.AuthFailed,
      nonRetryable: !retryable,
      ...(cause && { details: [cause.details] }),
      cause: err,
    });
  }
  const error = err instanceof Error ? err : new Error(String(err));
  return ApplicationFailure.create({ message: error.message, type: error.name, cause: error });
}

/** Activities are one line: `return callVendor(() => zuora.getAccount(key));`. */
export async function callVendor<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toApplicationFailure(err);
  }
}

/**
 * Turns a 2xx answer into the typed value both clients return: an unparseable body is retryable
 * (usually a cut connection), a body of the wrong shape is not (retrying reads the same shape).
 */
export function parseAnswer<S extends z.ZodType>(
  vendor: Vendor,
  operation: string,
  res: { status: number; body: unknown; bodyUnparseable: boolean },
  schema: S,
): z.output<S> {
  if (res.bodyUnparseable) {
    throw new RetryableError(`${vendor} ${operation}: the answer was not valid JSON (truncated?)`, {
      vendor,
      operation,
      status: res.status,
    });
  }
  const parsed = schema.safeParse(res.body);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new InvalidResponseError(`${vendor} ${operation}: unexpected answer shape (${issues})`, {
      vendor,
      operation,
      status: res.status,
    });
  }
  return parsed.data;
}
