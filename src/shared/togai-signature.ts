import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The `Togai-Signature` scheme (docs/togai-webhooks.md), shared by the Togai simulator (signs)
 * and the gateway's webhook route (verifies), so both sides can never drift apart:
 *
 *   Togai-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * Node-only (node:crypto): workflows never import this module.
 */

export type TogaiSignatureFailure = 'missing' | 'malformed' | 'stale' | 'mismatch';

export function togaiSignature(secret: string, body: string | Buffer, unixSeconds: number): string {
  return createHmac('sha256', secret).update(`${unixSeconds}.`).update(body).digest('hex');
}

/** `t=<unix>,v1=<hex hmac of "<t>.<body>">` */
export function togaiSignatureHeader(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${togaiSignature(secret, body, unixSeconds)}`;
}

/**
 * Checks a `Togai-Signature` header against the raw body and each accepted secret (the current one,
 * then those still in a rotation's grace period). Several `v1=` entries are allowed, as a sender
 * mid-rotation may sign with two secrets. Every candidate is compared in constant time and none
 * ends the loop early, so timing says nothing about which secret or entry came close.
 */
export function checkTogaiSignature(
  secrets: readonly string[],
  body: string | Buffer,
  header: string | undefined,
  nowSeconds: number,
  toleranceSeconds = 300,
): { ok: true } | { ok: false; reason: TogaiSignatureFailure } {
  if (!header?.trim()) return { ok: false, reason: 'missing' };
  let t: number | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 1) return { ok: false, reason: 'malformed' };
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value) || t !== undefined) return { ok: false, reason: 'malformed' };
      t = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/i.test(value)) return { ok: false, reason: 'malformed' };
      v1.push(value.toLowerCase());
    }
    // Unknown keys (future schemes) are ignored, as signature schemes of this shape usually advise.
  }
  if (t === undefined || v1.length === 0) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return { ok: false, reason: 'stale' };
  let matched = false;
  for (const secret of secrets) {
    const expected = Buffer.from(togaiSignature(secret, body, t), 'utf8');
    for (const candidate of v1) {
      // Same length by construction (64 hex digits each).
      if (timingSafeEqual(expected, Buffer.from(candidate, 'utf8'))) matched = true;
    }
  }
  return matched ? { ok: true } : { ok: false, reason: 'mismatch' };
}

/** Boolean form for one secret (the simulator's tests and docs use it). */
export function verifyTogaiSignature(
  secret: string,
  body: string | Buffer,
  header: string | undefined,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  return checkTogaiSignature([secret], body, header, nowSeconds, toleranceSeconds).ok;
}
