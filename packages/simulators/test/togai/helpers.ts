import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { contractPath, type OpenApiContract } from '../../src/common/openapi.js';
import { TOGAI_CONTRACT } from '../../src/togai/contract.js';

export const TOKEN = 'togai-test-token-0123';

export interface Exchange {
  status: number;
  /** Parsed JSON body (undefined when the body is empty). */
  body: unknown;
  /** The raw body text: exact decimals are asserted on it. */
  text: string;
  operationId: string | undefined;
}

/**
 * A tiny HTTP caller for the simulator that checks every answer against the official response
 * schema of the operation the request matched (any status: 2xx, 400, 401, 429, 5xx...).
 */
export function caller(contract: OpenApiContract, baseUrl: () => string) {
  return async function call(
    method: string,
    path: string,
    options: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
  ): Promise<Exchange> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? TOKEN : options.token;
    if (token !== null) headers['Authorization'] = `Bearer ${token}`;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${baseUrl()}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await res.text();
    const body: unknown = text ? JSON.parse(text) : undefined;
    const operationId = contract.matchOperation(method.toLowerCase(), path.split('?')[0] ?? path);
    if (operationId) {
      const issues = contract.validateResponse(operationId, res.status, body);
      assert.deepEqual(issues, [], `${method} ${path} → ${res.status} ${text.slice(0, 300)}`);
    }
    return { status: res.status, body, text, operationId };
  };
}

/** Narrows an unknown JSON value to an object for property access in assertions. */
export function obj(v: unknown): Record<string, unknown> {
  assert.ok(
    typeof v === 'object' && v !== null && !Array.isArray(v),
    `expected an object, got ${JSON.stringify(v)}`,
  );
  return v as Record<string, unknown>;
}

export function arr(v: unknown): unknown[] {
  assert.ok(Array.isArray(v), `expected an array, got ${JSON.stringify(v)}`);
  return v;
}

/** Asserts Togai's error shape: exactly `{message}` with a non-empty message. */
export function assertTogaiError(x: Exchange, status: number): string {
  assert.equal(x.status, status, x.text);
  const body = obj(x.body);
  assert.deepEqual(Object.keys(body), ['message'], x.text);
  assert.equal(typeof body['message'], 'string');
  assert.ok((body['message'] as string).length > 0);
  return body['message'] as string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isJsonObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

let specDoc: Json | undefined;

/** Follows `$ref`s inside the vendored official Togai spec. */
function resolved(node: Json | undefined): Json | undefined {
  const ref = isJsonObject(node) ? node['$ref'] : undefined;
  if (typeof ref !== 'string') return node;
  let cur: Json | undefined = specDoc;
  for (const key of ref.slice(2).split('/')) cur = isJsonObject(cur) ? cur[key] : undefined;
  return resolved(cur);
}

/**
 * The first request-body example the official spec gives for an operation: contract tests send
 * the vendor's own examples, not bodies the simulator's authors made up.
 */
export function specRequestExample(method: string, path: string): Json {
  specDoc ??= parse(readFileSync(contractPath(TOGAI_CONTRACT), 'utf8'), { maxAliasCount: -1 }) as Json;
  const paths = isJsonObject(specDoc) ? specDoc['paths'] : undefined;
  const op = resolved(isJsonObject(paths) && isJsonObject(paths[path]) ? paths[path][method] : undefined);
  const body = resolved(isJsonObject(op) ? op['requestBody'] : undefined);
  const content = isJsonObject(body) ? body['content'] : undefined;
  const media = isJsonObject(content) ? content['application/json'] : undefined;
  const examples = isJsonObject(media) ? media['examples'] : undefined;
  const first = isJsonObject(examples) ? resolved(Object.values(examples)[0]) : undefined;
  const value = isJsonObject(first) ? first['value'] : undefined;
  assert.ok(value !== undefined, `the spec has no request example for ${method} ${path}`);
  return structuredClone(value);
}
