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
  return `${f.side === 'zuora' ? 'Zuora' : 'Togai'} credential check failed: ${f.reason}`;
}

/** The key that encrypted a row is not configured (or the ciphertext was tampered with). */
export class SecretDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretDecryptionError';
  }
}
