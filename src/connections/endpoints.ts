import { OFFICIAL_ZUORA_ENDPOINTS } from './model.js';

/**
 * URL rules. Zuora endpoints are pinned to Zuora's official REST hosts because the client secret
 * is sent there: a typo'd or malicious host would receive it. Simulators and proxies need an
 * explicit `customEndpoint` flag, which every view of the connection shows.
 */

export type UrlCheck = { ok: true; url: string; customEndpoint: boolean } | { ok: false; problem: string };

const CUSTOM_HINT =
  'For a simulator or a proxy, mark the connection as a custom endpoint ' +
  '(zuora.customEndpoint: true in the API, --custom-endpoint in the CLI).';

export function officialEndpointsText(): string {
  return OFFICIAL_ZUORA_ENDPOINTS.join(', ');
}

export function checkZuoraEndpoint(raw: string, customEndpoint: boolean): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return {
      ok: false,
      problem: `zuora.endpoint: ${JSON.stringify(raw)} is not a URL. Valid endpoints: ${officialEndpointsText()}. ${CUSTOM_HINT}`,
    };
  }
  if (url.username || url.password) {
    return { ok: false, problem: 'zuora.endpoint: must not contain credentials' };
  }
  const origin = `${url.protocol}//${url.host}`;
  const bare = (url.pathname === '/' || url.pathname === '') && !url.search && !url.hash;
  if (bare && (OFFICIAL_ZUORA_ENDPOINTS as readonly string[]).includes(origin)) {
    return { ok: true, url: origin, customEndpoint: false };
  }
  if (customEndpoint) {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      return { ok: false, problem: 'zuora.endpoint: a custom endpoint must be http(s)' };
    }
    if (url.search || url.hash)
      return { ok: false, problem: 'zuora.endpoint: must not have a query or fragment' };
    return { ok: true, url: `${origin}${url.pathname.replace(/\/+$/, '')}`, customEndpoint: true };
  }
  return {
    ok: false,
    problem:
      `zuora.endpoint: ${JSON.stringify(raw)} is not one of Zuora's official REST endpoints. ` +
      `Valid endpoints: ${officialEndpointsText()}. ${CUSTOM_HINT}`,
  };
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** HTTPS, except on loopback (the Togai simulator), since the API token travels with each call. */
export function checkTogaiBaseUrl(raw: string): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, problem: `togai.baseUrl: ${JSON.stringify(raw)} is not a URL` };
  }
  if (url.username || url.password)
    return { ok: false, problem: 'togai.baseUrl: must not contain credentials' };
  if (url.search || url.hash)
    return { ok: false, problem: 'togai.baseUrl: must not have a query or fragment' };
  const loopback = LOOPBACK.has(url.hostname) || url.hostname.startsWith('127.');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    return {
      ok: false,
      problem: `togai.baseUrl: must be https (plain http is only accepted on loopback), got ${JSON.stringify(raw)}`,
    };
  }
  return {
    ok: true,
    url: `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`,
    customEndpoint: false,
  };
}
