import assert from 'node:assert/strict';
import { request as httpRequest, type ClientRequest } from 'node:http';
import type { ContractIssue } from '../../../src/simulators/common/openapi.js';
import {
  startZuoraSimulator,
  type RunningZuoraSimulator,
  type ZuoraSimulatorOptions,
} from '../../../src/simulators/zuora/index.js';

/** Seed data most tests share: one account with a usage subscription (IDs the usage sync references). */
export const SEED: ZuoraSimulatorOptions['seed'] = {
  accounts: [{ id: 'acc-seed-1', accountNumber: 'A-SEED-1', name: 'Seeded Co', currency: 'USD' }],
  subscriptions: [
    {
      id: 'sub-1',
      subscriptionNumber: 'S-0001',
      accountKey: 'A-SEED-1',
      ratePlans: [
        {
          id: 'rp-1',
          productRatePlanId: 'prp-1',
          ratePlanName: 'API calls',
          ratePlanCharges: [
            {
              id: 'charge-1',
              number: 'C-0001',
              name: 'API calls',
              productRatePlanChargeId: 'prpc-1',
              uom: 'Each',
              price: '0.01',
            },
          ],
        },
      ],
    },
  ],
};

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

/** Starts a simulator with the shared seed; the caller closes it. */
export async function startTestSimulator(options: ZuoraSimulatorOptions = {}): Promise<ZuoraTestClient> {
  const running = await startZuoraSimulator({ seed: SEED, ...options });
  return new ZuoraTestClient(running);
}

/** A request whose body is sent in two parts, so it stays in flight until `finish()`. */
export function slowRequest(
  url: string,
  path: string,
  headers: Record<string, string>,
  body: string,
): { finish(): Promise<{ status: number; body: string }>; request: ClientRequest } {
  const u = new URL(path, url);
  let resolveDone: (v: { status: number; body: string }) => void = () => {};
  let rejectDone: (e: unknown) => void = () => {};
  const done = new Promise<{ status: number; body: string }>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  const req = httpRequest(
    {
      host: u.hostname,
      port: u.port,
      path: u.pathname,
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    },
    (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolveDone({ status: res.statusCode ?? 0, body: text }));
    },
  );
  req.on('error', rejectDone);
  const half = Math.floor(body.length / 2);
  req.write(body.slice(0, half));
  return {
    request: req,
    finish: () => {
      req.end(body.slice(half));
      return done;
    },
  };
}

/** Polls `predicate` until it holds (the server saw what a test set up), or fails after `ms`. */
export async function eventually(predicate: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) assert.fail('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
