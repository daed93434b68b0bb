import type { IncomingHttpHeaders } from 'node:http';
import { got, RequestError, TimeoutError, type Method } from 'got';
import { parseJsonLossless, stringifyJson } from './json.js';

/**
 * The transport under both vendor clients: one request, no retries (Temporal retries the
 * activity; a retry inside the activity would hide attempts from the history and double the
 * time a stuck call holds a concurrency slot), explicit timeouts, JSON parsed losslessly.
 * HTTP error statuses are returned, not thrown: the vendor's classify module decides what they mean.
 */

export interface Timeouts {
  /** TCP (and TLS) connection establishment. */
  connectMs: number;
  /** From the request being sent to the first byte of the answer. */
  responseMs: number;
  /** The whole call, end to end; bounds a server that trickles or hangs mid-body. */
  totalMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { connectMs: 5_000, responseMs: 30_000, totalMs: 60_000 };

export interface HttpRequest {
  method: Method;
  /** Path relative to the base URL, e.g. `/v1/accounts/A-1`. */
  path: string;
  searchParams?: URLSearchParams;
  headers?: Record<string, string>;
  /** Sent as JSON; decimal.js values become bare JSON numbers. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or undefined when the body was empty or not JSON. */
  body: unknown;
  /** True when the body was non-empty but not parseable JSON. */
  bodyUnparseable: boolean;
}

/** Joins a base URL that may carry a path prefix (`http://127.0.0.1:9000/zuora`) with an API path. */
export function joinUrl(baseUrl: string, path: string): URL {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return new URL(path.replace(/^\/+/, ''), base);
}

export async function sendRequest(
  baseUrl: string,
  req: HttpRequest,
  timeouts: Timeouts,
  signal?: AbortSignal,
): Promise<HttpResponse> {
  const url = joinUrl(baseUrl, req.path);
  if (req.searchParams) url.search = req.searchParams.toString();
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  let body: string | undefined;
  if (req.json !== undefined) {
    body = stringifyJson(req.json);
    headers['content-type'] = 'application/json';
  } else if (req.form !== undefined) {
    body = new URLSearchParams(req.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  const res = await got(url, {
    method: req.method,
    headers,
    ...(body !== undefined && { body }),
    responseType: 'text',
    ...(signal !== undefined && { signal }),
    throwHttpErrors: false,
    followRedirect: false,
    retry: { limit: 0 },
    timeout: {
      lookup: timeouts.connectMs,
      connect: timeouts.connectMs,
      secureConnect: timeouts.connectMs,
      response: timeouts.responseMs,
      request: timeouts.totalMs,
    },
  });
  const text = res.body;
  let parsed: unknown;
  let bodyUnparseable = false;
  if (text.trim().length > 0) {
    try {
      parsed = parseJsonLossless(text);
    } catch {
      bodyUnparseable = true;
    }
  }
  return { status: res.statusCode, headers: res.headers, body: parsed, bodyUnparseable };
}

/** A short, secret-free description of a transport failure (got's messages can include the URL only). */
export function describeTransportError(err: unknown): string {
  if (err instanceof TimeoutError) return `timed out (${err.event} timeout)`;
  if (err instanceof RequestError) return err.code ? `${err.code}: ${err.message}` : err.message;
  return err instanceof Error ? err.message : String(err);
}

export function isTransportError(err: unknown): err is RequestError {
  return err instanceof RequestError;
}

/**
 * Retry-After is either delta-seconds or an HTTP date. Returns milliseconds from `now`, or
 * undefined when absent or unreadable.
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now: number = Date.now(),
): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  const trimmed = raw.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
