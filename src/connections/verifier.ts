import type { CustomFieldProblems, RequiredCustomField } from './custom-fields.js';

/**
 * How the connection service checks credentials before storing them. Injected, so the service is
 * tested with fakes and production wires the real clients (src/connections/default-verifier.ts).
 *
 * Contract: resolve when the credentials work; throw an Error whose message says why not
 * ("invalid_client (HTTP 401)", "connection refused"). The service adds which side failed and
 * scrubs the submitted secrets out of the message before anyone sees it.
 */
export interface ZuoraCredentials {
  /** Normalized, without trailing slash: an official REST endpoint, or a flagged custom one. */
  endpoint: string;
  clientId: string;
  clientSecret: string;
}

export interface TogaiCredentials {
  baseUrl: string;
  apiToken: string;
}

export interface CredentialVerifier {
  /** E.g. fetch an OAuth token (POST /oauth/token, client credentials). */
  verifyZuora(credentials: ZuoraCredentials, signal: AbortSignal): Promise<void>;
  /**
   * Which of `fields` the tenant lacks or does not let object queries filter on (`tzs connections
   * test`). Optional: a verifier without it skips the check. Throws when Zuora cannot be asked.
   */
  checkZuoraCustomFields?(
    credentials: ZuoraCredentials,
    fields: readonly RequiredCustomField[],
    signal: AbortSignal,
  ): Promise<CustomFieldProblems>;
  /** E.g. one cheap authenticated call (POST /authenticate, or a one-item list). */
  verifyTogai(credentials: TogaiCredentials, signal: AbortSignal): Promise<void>;
}
