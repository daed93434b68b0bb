/**
 * Deterministic Idempotency-Key builders for vendor creates.
 *
 * A key names WHAT is being created (connection + source object + operation), never WHEN or BY
 * WHOM: an activity retry, a workflow replay or a re-run of the same sync must send the same key,
 * so Zuora replays its first answer (for 24 h) instead of creating a second object. Random keys
 * would defeat exactly that.
 *
 * This module is a leaf shared with workflow code, which runs in Temporal's sandbox without
 * `node:crypto`; the SHA-256 below is therefore plain TypeScript (checked against node:crypto in
 * the tests). No I/O, no clock, no randomness.
 */

/** Zuora's documented maximum for `Idempotency-Key`. */
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

/** Bumped if the key layout ever changes, so old and new keys can never collide. */
const KEY_VERSION = 'tzs1';

/** Characters that pass through unchanged; anything else is percent-encoded (stays ASCII, unambiguous). */
const SAFE = /[^A-Za-z0-9_.~-]/g;

function encodePart(part: string): string {
  if (part.length === 0) throw new Error('Idempotency key parts must not be empty');
  return part.replace(SAFE, (ch) =>
    Array.from(new TextEncoder().encode(ch))
      .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
      .join(''),
  );
}

export interface IdempotencyKeyInput {
  /** The connection the create belongs to: the same source object in two connections is two objects. */
  connectionId: string;
  /** What is being done, e.g. `zuora.account.create`. */
  operation: string;
  /** The source object(s) the create is derived from, most significant first. */
  source: readonly string[];
}

/**
 * `tzs1:<operation>:<connection>:<source...>`, readable in Zuora's logs when short. Longer than
 * 255 characters, the tail is replaced by a SHA-256 of the whole readable key, which keeps it
 * unique (and still starts with the operation and connection for grep-ability).
 */
export function buildIdempotencyKey(input: IdempotencyKeyInput): string {
  if (input.source.length === 0) throw new Error('An idempotency key needs at least one source part');
  const readable = [KEY_VERSION, input.operation, input.connectionId, ...input.source]
    .map(encodePart)
    .join(':');
  if (readable.length <= IDEMPOTENCY_KEY_MAX_LENGTH) return readable;
  const digest = sha256Hex(readable);
  const prefix = `${KEY_VERSION}:${encodePart(input.operation)}:${encodePart(input.connectionId)}`.slice(
    0,
    IDEMPOTENCY_KEY_MAX_LENGTH - digest.length - 3,
  );
  return `${prefix}:h:${digest}`;
}

/** JSON with object keys sorted at every level: the same body always has the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/**
 * 16 hex digits of the SHA-256 of the body's canonical JSON. Zuora replays the first answer to an
 * Idempotency-Key for 24 h, failures included (../shared/contracts/README.md): a key that named
 * only the object would replay a refusal after the cause was fixed (a mapping, a UOM), so the key
 * also names the body, and a changed body is a new request. Creating an object twice is prevented
 * by the look-up before every create (custom fields), which does not depend on this key.
 */
export function bodyDigest(body: unknown): string {
  return sha256Hex(canonicalJson(body)).slice(0, 16);
}

/**
 * The key generation: 0 (or absent) for the first attempt; after a refusal that the same key would
 * only replay for 24 h, and a look-up that found nothing created, `createOnce` tries once more
 * under a fresh generation (the run's own, so a later run after the cause is fixed is not blocked
 * by this run's stored refusal either), recorded in the history so a replay sends the same keys.
 */
export type KeyGeneration = number | string;
const generationPart = (generation: KeyGeneration | undefined): string[] =>
  generation === undefined || generation === 0 || generation === '' ? [] : [`g${generation}`];

/** Zuora account created for a Togai account, from this request body (`bodyDigest`). */
export function zuoraAccountCreateKey(
  connectionId: string,
  togaiAccountId: string,
  body?: unknown,
  generation?: KeyGeneration,
): string {
  return buildIdempotencyKey({
    connectionId,
    operation: 'zuora.account.create',
    source: [
      togaiAccountId,
      ...(body !== undefined ? [bodyDigest(body)] : []),
      ...generationPart(generation),
    ],
  });
}

/** Zuora standalone invoice created for a Togai invoice, from this request body (`bodyDigest`). */
export function zuoraInvoiceCreateKey(
  connectionId: string,
  togaiInvoiceId: string,
  body?: unknown,
  generation?: KeyGeneration,
): string {
  return buildIdempotencyKey({
    connectionId,
    operation: 'zuora.invoice.create',
    source: [
      togaiInvoiceId,
      ...(body !== undefined ? [bodyDigest(body)] : []),
      ...generationPart(generation),
    ],
  });
}

/**
 * v0.1's key of one Zuora usage record (one usage meter's line of a Togai invoice), also the value
 * of its usage-key custom field: it names the connection, so a second connection to the same
 * tenants did not find the first one's records. Records made so are still looked up by it.
 */
export function zuoraUsageCreateKey(connectionId: string, togaiInvoiceId: string, lineKey: string): string {
  return buildIdempotencyKey({
    connectionId,
    operation: 'zuora.usage.create',
    source: [togaiInvoiceId, lineKey],
  });
}

/** What every v0.1 usage key of one Togai invoice made through this connection starts with. */
export function legacyUsageKeyPrefix(connectionId: string, togaiInvoiceId: string): string {
  return `${[KEY_VERSION, 'zuora.usage.create', connectionId, togaiInvoiceId].map(encodePart).join(':')}:`;
}

/** Version of usage record keys: v2 names the Togai invoice and usage meter only. */
const USAGE_RECORD_KEY_VERSION = 'tzs2:usage';

/**
 * The prefix every usage record key of one Togai invoice starts with (`SW` object-query filters
 * find all of them: the invoice flow's check that the invoice was not billed as usage).
 */
export function usageRecordKeyPrefix(togaiInvoiceId: string): string {
  return `${USAGE_RECORD_KEY_VERSION}:${encodePart(togaiInvoiceId)}:`;
}

/**
 * The key of the usage record billing one usage meter's line of a Togai invoice, kept in the usage
 * key custom field: `tzs2:usage:<invoice>:<meter>`, the same whichever connection or run made it,
 * so the same usage is never billed twice by two connections to the same tenants. A meter id that
 * would make it longer than 255 characters is replaced by its SHA-256 (the prefix stays).
 */
export function usageRecordKey(togaiInvoiceId: string, usageMeterId: string): string {
  const prefix = usageRecordKeyPrefix(togaiInvoiceId);
  const readable = `${prefix}${encodePart(usageMeterId)}`;
  return readable.length <= IDEMPOTENCY_KEY_MAX_LENGTH ? readable : `${prefix}h:${sha256Hex(usageMeterId)}`;
}

/** The Idempotency-Key of creating the usage record `recordKey` with this body (and key generation). */
export function usageCreateIdempotencyKey(
  recordKey: string,
  body: unknown,
  generation?: KeyGeneration,
): string {
  const key = [`${recordKey}:b:${bodyDigest(body)}`, ...generationPart(generation)].join(':');
  return key.length <= IDEMPOTENCY_KEY_MAX_LENGTH ? key : `tzs2:usage:h:${sha256Hex(key)}`;
}

// ---------------------------------------------------------------------------------------------
// SHA-256 (FIPS 180-4), UTF-8 input, hex output.

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));

export function sha256Hex(text: string): string {
  const data = new TextEncoder().encode(text);
  // Message + 0x80 + zero padding + 64-bit big-endian bit length, to a multiple of 64 bytes.
  const blocks = Math.ceil((data.length + 9) / 64);
  const buf = new Uint8Array(blocks * 64);
  buf.set(data);
  buf[data.length] = 0x80;
  const view = new DataView(buf.buffer);
  const bits = data.length * 8;
  view.setUint32(buf.length - 8, Math.floor(bits / 0x100000000));
  view.setUint32(buf.length - 4, bits >>> 0);

  const h = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  const w = new Uint32Array(64);
  for (let off = 0; off < buf.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4);
    for (let i = 16; i < 64; i++) {
      const w15 = w[i - 15]!;
      const w2 = w[i - 2]!;
      const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
      const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = [h[0]!, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!, h[6]!, h[7]!];
    for (let i = 0; i < 64; i++) {
      const S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K[i]! + w[i]!) >>> 0;
      const S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    h[0] = (h[0]! + a) >>> 0;
    h[1] = (h[1]! + b) >>> 0;
    h[2] = (h[2]! + c) >>> 0;
    h[3] = (h[3]! + d) >>> 0;
    h[4] = (h[4]! + e) >>> 0;
    h[5] = (h[5]! + f) >>> 0;
    h[6] = (h[6]! + g) >>> 0;
    h[7] = (h[7]! + hh) >>> 0;
  }
  return Array.from(h, (x) => x.toString(16).padStart(8, '0')).join('');
}
