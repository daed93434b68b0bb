import assert from 'node:assert/strict';
import type { ContractIssue } from '../common/openapi.js';
import type { RunningZuoraSimulator } from './simulator.js';

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: unknown;
  /** The contract operation the request matched, if any. */
  operationId: string | undefined;
  /** Contract problems of this response (status not declared, body or header mismatch). */
  issues: ContractIssue[];
}

export interface CallOptions {
  body?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Raw query string without `?`, e.g. `filter[]=name.EQ:x`. */
  query?: string;
  /** Send no Authorization header. */
  noAuth?: boolean;
  /** Send this token instead of a fresh one. */
  token?: string;
}

/**
 * A test client of a running simulator: gets a token on demand and checks every response it
 * receives against the official contract (status declared, body and declared headers valid).
 */
export class ZuoraTestClient {
  private token: string | undefined;

  constructor(readonly sim: RunningZuoraSimulator) {}

  get url(): string {
    return this.sim.url;
  }

  async fetchToken(): Promise<string> {
    const { clientId, clientSecret } = this.sim.sim.credentials;
    const res = await this.call('POST', '/oauth/token', {
      noAuth: true,
      form: { client_id: clientId, client_secret: clientSecret, grant_type: 'client_credentials' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const token = (res.body as { access_token?: unknown }).access_token;
    assert.equal(typeof token, 'string');
    // The latest token is the one later calls use (a test that expires one fetches a new one).
    this.token = token as string;
    return this.token;
  }

  async call(method: string, path: string, opts: CallOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (!opts.noAuth) {
      this.token ??= opts.token ?? (await this.fetchToken());
      headers['Authorization'] ??= `Bearer ${opts.token ?? this.token}`;
    }
    let body: string | undefined;
    if (opts.form) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(opts.form).toString();
    } else if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    const target = `${this.url}${path}${opts.query ? `?${opts.query}` : ''}`;
    const res = await fetch(target, { method, headers, body });
    const text = await res.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    const contract = this.sim.sim.contract;
    const operationId = contract.matchOperation(method, path);
    const headerMap: Record<string, string> = {};
    res.headers.forEach((v, k) => (headerMap[k] = v));
    const issues = operationId ? contract.validateResponse(operationId, res.status, parsed, headerMap) : [];
    return { status: res.status, headers: res.headers, body: parsed, operationId, issues };
  }

  /** `call`, asserting the response conforms to the official contract. */
  async conforming(method: string, path: string, opts: CallOptions = {}): Promise<ApiResponse> {
    const res = await this.call(method, path, opts);
    assert.ok(res.operationId, `${method} ${path} matches no contract operation`);
    assert.deepEqual(res.issues, [], `${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  }
}
