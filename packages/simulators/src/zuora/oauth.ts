import { randomBytes, randomUUID } from 'node:crypto';
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import type { ZuoraContext } from './context.js';
import { ErrorCategory, familyOf, sendError, zuoraCode } from './errors.js';

/** The challenge Zuora documents on a 401 (the spec's only enum value for the header). */
export const WWW_AUTHENTICATE = 'Basic realm=Zuora API, ZSession realm=Zuora API, Bearer realm=Zuora API';

export const TOKEN_PATH = '/oauth/token';

/**
 * POST /oauth/token: client credentials, form-encoded (the contract guard has checked the form).
 * Wrong credentials get 401 in the OAuth error shape: the official spec declares no error
 * response for this operation, so the body follows RFC 6749.
 */
export function registerOAuthRoutes(app: Express, ctx: ZuoraContext): void {
  app.post(TOKEN_PATH, (req: Request, res: Response) => {
    const form = (req.body ?? {}) as Record<string, unknown>;
    const client = ctx.options.clients.find(
      (c) => c.clientId === form['client_id'] && c.clientSecret === form['client_secret'],
    );
    if (!client) {
      res.setHeader('WWW-Authenticate', WWW_AUTHENTICATE);
      return sendError(
        req,
        res,
        401,
        zuoraCode('oauth', ErrorCategory.authentication),
        'Invalid client credentials',
      );
    }
    const token = randomBytes(16).toString('hex');
    const ttl = ctx.options.tokenTtlSeconds;
    ctx.state.tokens.set(token, { clientId: client.clientId, expiresAt: ctx.clock.now() + ttl * 1000 });
    res.json({
      access_token: token,
      token_type: 'bearer',
      expires_in: ttl,
      scope: 'entity.00000000-0000-0000-0000-000000000000 platform.write service.usage.write tenant.1',
      jti: randomUUID().replace(/-/g, ''),
    });
  });
}

/**
 * Bearer authentication for every API route but the token endpoint: a missing, unknown or
 * expired token gets 401 with the documented WWW-Authenticate challenge, in the body shape of
 * the operation's family.
 */
export function bearerAuth(ctx: ZuoraContext): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.path === TOKEN_PATH) return next();
    const header = req.get('Authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const token = m?.[1] ? ctx.state.tokens.get(m[1]) : undefined;
    const now = ctx.clock.now();
    if (token && token.expiresAt > now) return next();
    if (m?.[1] && token) ctx.state.tokens.delete(m[1]);
    res.setHeader('WWW-Authenticate', WWW_AUTHENTICATE);
    const family = familyOf(req.path);
    const message = token ? 'Authentication error: the access token has expired' : 'Authentication error';
    sendError(req, res, 401, zuoraCode('generic', ErrorCategory.authentication), message, family);
  };
}
