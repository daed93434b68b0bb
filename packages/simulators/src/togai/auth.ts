import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * Togai's two credentials: the API token (`Authorization: Bearer <token>`) and the JWT that
 * `POST /authenticate` exchanges it for, valid 24 h. The simulator signs its JWTs with HS256 and a
 * per-instance secret; expiry follows the simulated clock so tests can age a token in one call.
 */

export const JWT_TTL_SECONDS = 24 * 3600;

const claimsSchema = z.object({ sub: z.string(), iat: z.number().int(), exp: z.number().int() });
const headerSchema = z.object({ alg: z.literal('HS256'), typ: z.literal('JWT') });

const b64 = (s: string): string => Buffer.from(s).toString('base64url');

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export type Credential = { kind: 'apiToken' } | { kind: 'jwt'; token: string };

export class TogaiAuth {
  private readonly jwtSecret: Buffer;

  constructor(
    private readonly apiToken: string,
    private readonly nowMs: () => number,
    jwtSecret?: string,
  ) {
    this.jwtSecret = jwtSecret ? Buffer.from(jwtSecret) : randomBytes(32);
  }

  issueJwt(subject = 'api-token'): string {
    const iat = Math.floor(this.nowMs() / 1000);
    const unsigned = `${b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64(
      JSON.stringify({ sub: subject, iat, exp: iat + JWT_TTL_SECONDS }),
    )}`;
    return `${unsigned}.${this.sign(unsigned)}`;
  }

  private sign(unsigned: string): string {
    return createHmac('sha256', this.jwtSecret).update(unsigned).digest('base64url');
  }

  private verifyJwt(token: string): boolean {
    const [header, claims, signature] = token.split('.');
    if (header === undefined || claims === undefined || signature === undefined) return false;
    if (!safeEqual(this.sign(`${header}.${claims}`), signature)) return false;
    try {
      headerSchema.parse(JSON.parse(Buffer.from(header, 'base64url').toString('utf8')));
      const c = claimsSchema.parse(JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')));
      return c.exp * 1000 > this.nowMs();
    } catch {
      return false;
    }
  }

  /** The credential an `Authorization` header carries, or undefined when it is missing or invalid. */
  authenticate(authorization: string | undefined): Credential | undefined {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const token = m?.[1];
    if (!token) return undefined;
    if (safeEqual(token, this.apiToken)) return { kind: 'apiToken' };
    return this.verifyJwt(token) ? { kind: 'jwt', token } : undefined;
  }
}
