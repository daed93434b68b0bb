/**
 * Errors of the connection service. The admin API maps them to HTTP statuses and the CLI to exit
 * codes; their messages are written for the operator and never contain secrets.
 */

export type CredentialSide = 'zuora' | 'togai';

export class ConnectionValidationError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid connection: ${problems.join('; ')}`);
    this.name = 'ConnectionValidationError';
  }
}

export class ConnectionNotFoundError extends Error {
  constructor(public readonly idOrName: string) {
    super(`No connection ${JSON.stringify(idOrName)}`);
    this.name = 'ConnectionNotFoundError';
  }
}

export class ConnectionConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionConflictError';
  }
}

export interface CredentialFailure {
  side: CredentialSide;
  reason: string;
  /** The side was never reached (DNS, refused connection, TLS, timeout): the credentials were not checked. */
  unreachable?: boolean;
}

/**
 * A credential check failed on one side or both. Each failure says which system refused (or could
 * not be reached) and why, e.g. "Zuora credential check failed: invalid_client (HTTP 401)".
 */
export class CredentialVerificationError extends Error {
  constructor(public readonly failures: CredentialFailure[]) {
    super(failures.map(describeFailure).join('; '));
    this.name = 'CredentialVerificationError';
  }

  get sides(): CredentialSide[] {
    return this.failures.map((f) => f.side);
  }
}

export function describeFailure(f: CredentialFailure): string {
  const side = f.side === 'zuora' ? 'Zuora' : 'Togai';
  return f.unreachable
    ? `${side} could not be reached, so the credentials were not checked: ${f.reason}`
    : `${side} credential check failed: ${f.reason}`;
}

/** The key that encrypted a row is not configured (or the ciphertext was tampered with). */
export class SecretDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretDecryptionError';
  }
}

/** How the admin API and the `tzs` CLI answer an error: HTTP status (CLI: exit 1) and body. */
export interface ErrorAnswer {
  status: number;
  body: { error: string; message: string; problems?: string[]; failures?: CredentialFailure[] };
}

/**
 * The one error → answer table of the connection service's callers. Undefined for errors that
 * are not the operator's to fix (bugs, a store that is down): callers log those and answer 500.
 */
export function errorAnswer(err: unknown): ErrorAnswer | undefined {
  if (err instanceof ConnectionValidationError) {
    return {
      status: 400,
      body: { error: 'invalid_connection', message: err.message, problems: err.problems },
    };
  }
  if (err instanceof ConnectionNotFoundError)
    return { status: 404, body: { error: 'not_found', message: err.message } };
  if (err instanceof ConnectionConflictError)
    return { status: 409, body: { error: 'conflict', message: err.message } };
  if (err instanceof CredentialVerificationError) {
    // Nothing was refused when no side could be reached: a gateway error, not the caller's credentials.
    const unreachable = err.failures.every((f) => f.unreachable);
    return {
      status: unreachable ? 502 : 422,
      body: {
        error: unreachable ? 'vendor_unreachable' : 'credentials_refused',
        message: err.message,
        failures: err.failures,
      },
    };
  }
  if (err instanceof SecretDecryptionError) {
    return { status: 500, body: { error: 'decryption_failed', message: err.message } };
  }
  return undefined;
}
