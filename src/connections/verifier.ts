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
  /** E.g. one cheap authenticated call (POST /authenticate, or a one-item list). */
  verifyTogai(credentials: TogaiCredentials, signal: AbortSignal): Promise<void>;
}
