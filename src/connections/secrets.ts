import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** "abcd…****": enough to tell two secrets apart, never enough to use one. */
export function maskSecret(secret: string | undefined): string | undefined {
  if (secret === undefined) return undefined;
  return secret.length >= 16 ? `${secret.slice(0, 4)}…****` : '****';
}

/** Replaces every occurrence of the given secrets, so a vendor error echoing one cannot leak it. */
export function scrubSecrets(text: string, secrets: (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  }
  return out;
}

/** Constant-time string comparison; hashing first hides the length of the expected value. */
export function safeEqual(actual: string, expected: string): boolean {
  const a = createHash('sha256').update(actual, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b) && actual.length === expected.length;
}

/** A webhook secret or password: 32 random bytes, URL- and header-safe. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `conn_` + 16 base36 characters (~82 bits): short enough for Temporal workflow IDs. */
export function generateConnectionId(): string {
  const bytes = randomBytes(16);
  let id = 'conn_';
  // 252 = 7 * 36: rejecting higher bytes keeps every character equally likely.
  for (const b of bytes) if (b < 252) id += ID_ALPHABET[b % 36] ?? '';
  while (id.length < 21) {
    const b = randomBytes(1)[0] ?? 0;
    if (b < 252) id += ID_ALPHABET[b % 36] ?? '';
  }
  return id.slice(0, 21);
}
