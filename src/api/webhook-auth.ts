import { createHmac } from 'node:crypto';
import type { WebhookSettings } from '../config.js';
import type { WebhookCredentials } from '../connections/service.js';
import { safeEqual } from '../connections/secrets.js';
import { checkTogaiSignature } from '../shared/togai-signature.js';

/**
 * Who may call the webhook routes. Pure functions of the request's headers and raw body and the
 * connection's currently accepted credentials (current first, then those in a rotation's grace
 * period), so they are tested without HTTP. Every secret comparison is constant-time and every
 * candidate is compared (no early exit on the first match), so timing reveals nothing.
 */

export type AuthResult = { ok: true } | { ok: false; reason: string };

/** Constant-time "is `actual` one of `expected`", visiting every candidate. */
function oneOf(actual: string, expected: readonly string[]): boolean {
  let matched = false;
  for (const e of expected) if (safeEqual(actual, e)) matched = true;
  return matched;
}

function parseBasic(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function zuoraHmac(
  settings: WebhookSettings['zuoraHmac'],
  secret: string,
  body: Buffer | string,
): string {
  return createHmac(settings.algorithm, secret).update(body).digest(settings.encoding);
}

/**
 * Zuora callouts: Basic auth (user + one of the accepted passwords) and/or an HMAC of the raw
 * body in the configured header, as the connection's `zuoraAuth` says (`basic+hmac`: both).
 */
export function checkZuoraAuth(
  creds: WebhookCredentials['zuora'],
  settings: WebhookSettings['zuoraHmac'],
  headers: { authorization: string | undefined; signature: string | undefined },
  body: Buffer,
): AuthResult {
  const problems: string[] = [];
  if (creds.auth !== 'hmac') {
    const basic = parseBasic(headers.authorization);
    if (!basic) {
      problems.push('missing or malformed Basic credentials');
    } else {
      // Both checks always run: no hint whether the user or the password was wrong.
      const userOk =
        safeEqual(basic.username, creds.basicUsername ?? '') && creds.basicUsername !== undefined;
      const passwordOk = oneOf(basic.password, creds.basicPasswords);
      if (!userOk || !passwordOk) problems.push('wrong Basic credentials');
    }
  }
  if (creds.auth !== 'basic') {
    const signature = headers.signature?.trim();
    if (!signature) {
      problems.push(`missing ${settings.header} signature`);
    } else if (
      !oneOf(
        signature,
        creds.hmacSecrets.map((s) => zuoraHmac(settings, s, body)),
      )
    ) {
      problems.push(`wrong ${settings.header} signature`);
    }
  }
  // An empty accepted list (no secret configured for the mode) must never mean "anyone".
  if (creds.auth !== 'hmac' && creds.basicPasswords.length === 0)
    problems.push('no Basic password configured');
  if (creds.auth !== 'basic' && creds.hmacSecrets.length === 0) problems.push('no HMAC secret configured');
  return problems.length === 0 ? { ok: true } : { ok: false, reason: problems.join('; ') };
}

/** Togai events: `Togai-Signature` with one of the accepted secrets, within the replay tolerance. */
export function checkTogaiAuth(
  creds: WebhookCredentials['togai'],
  header: string | undefined,
  body: Buffer,
  nowSeconds: number,
  toleranceSeconds: number,
): AuthResult {
  if (creds.hmacSecrets.length === 0) return { ok: false, reason: 'no HMAC secret configured' };
  const result = checkTogaiSignature(creds.hmacSecrets, body, header, nowSeconds, toleranceSeconds);
  if (result.ok) return result;
  const reasons = {
    missing: 'missing Togai-Signature header',
    malformed: 'malformed Togai-Signature header (expected t=<unix seconds>,v1=<hex>)',
    stale: `Togai-Signature timestamp is more than ${toleranceSeconds} s away from now (replay?)`,
    mismatch: 'wrong Togai-Signature',
  } as const;
  return { ok: false, reason: reasons[result.reason] };
}
