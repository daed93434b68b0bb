import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import type { Config } from '../config.js';
import { loadKeyring } from '../connections/keys.js';
import { randomToken, readOrCreateSecretFile } from '../connections/local-files.js';
import { safeEqual } from '../connections/secrets.js';
import type { Logger } from '../logger.js';
import { EncryptionCodec, PayloadDecryptionError } from '../temporal/codec.js';

/**
 * The codec server: Temporal's remote codec protocol (`POST …/encode`, `POST …/decode`, body and
 * answer `{"payloads": [{"metadata": {"<key>": "<base64>"}, "data": "<base64>"}]}`, the protobuf
 * JSON of `temporal.api.common.v1.Payloads`; only the last path segment counts, `X-Namespace` is
 * sent by the Web UI and the CLI) over the service's payload codec (src/temporal/codec.ts), so
 * an operator with the token sees decoded payloads in the Web UI and in
 * `temporal workflow show --codec-endpoint`, and nobody without it does.
 *
 * Authentication: the codec server token (CODEC_SERVER_TOKEN; in dev mode generated into
 * DATA_DIR/codec-token), as `Authorization: Bearer <token>` (the temporal CLI's `--codec-auth`)
 * or as the `tzs_codec_token` cookie that `GET /login` sets. The cookie is for the Web UI: the UI
 * sends an Authorization header only with `codec.passAccessToken`, which forwards the user's OIDC
 * access token (none in the dev server, and only to https endpoints); with "Include cross-origin
 * credentials" (`codec.includeCredentials`, TEMPORAL_CODEC_INCLUDE_CREDENTIALS) it sends cookies.
 * The cookie is HttpOnly and SameSite=Strict: the UI and the codec server must be same-site (the
 * dev server's UI on localhost:8233 and this server on localhost:8081 are).
 *
 * CORS: only the configured Web UI origins (CODEC_SERVER_ORIGINS) get CORS headers (with
 * credentials); a request from any other browser origin is refused with 403 before it is decoded.
 * Requests without an Origin header (the CLI, curl) need only the token.
 */

export const CODEC_COOKIE = 'tzs_codec_token';

export interface CodecServerDeps {
  codec: PayloadCodec;
  /** Compared in constant time with the bearer token or the cookie. */
  token: string;
  /** Web UI origins (scheme://host[:port]) allowed to call from a browser. */
  origins: readonly string[];
  log: Logger;
  /** Marks the login cookie Secure (the server is reached over https). */
  secureCookie?: boolean;
  /** Largest request body; a Web UI page decodes a whole history's payloads at once. */
  bodyLimit?: string;
}

const payloadJson = z.object({
  metadata: z.record(z.string(), z.string()).nullish(),
  data: z.string().nullish(),
});
// Protobuf's JSON leaves an empty list out: the CLI sends `{}` for a query without arguments.
const payloadsJson = z.object({ payloads: z.array(payloadJson).default([]) });
type PayloadJson = z.infer<typeof payloadJson>;

const base64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Protobuf JSON (base64 bytes) → SDK payload; throws naming the field that is not base64. */
export function payloadFromJson(p: PayloadJson, index: number): Payload {
  const bytes = (value: string, field: string): Uint8Array => {
    if (!base64.test(value)) throw new BadRequest(`payloads[${index}].${field} is not base64`);
    return Buffer.from(value, 'base64');
  };
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k] = bytes(v, `metadata.${k}`);
  return { metadata, data: bytes(p.data ?? '', 'data') };
}

/** SDK payload → protobuf JSON (standard base64). */
export function payloadToJson(p: Payload): { metadata: Record<string, string>; data: string } {
  // A decoded protobuf message may hold an empty plain array for an absent bytes field: copy.
  const b64 = (u: Uint8Array | null | undefined): string => (u ? Buffer.from(u).toString('base64') : '');
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k] = b64(v);
  return { metadata, data: b64(p.data) };
}

class BadRequest extends Error {}

function cookieValue(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function presentedToken(req: Request): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
  return match?.[1] ?? cookieValue(req, CODEC_COOKIE);
}

export function createCodecServerApp(deps: CodecServerDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  const allowed = new Set(deps.origins);

  // CORS first: a preflight carries no credentials, and a refused origin must learn nothing.
  app.use((req, res, next) => {
    const origin = req.get('origin');
    if (origin === undefined) return next();
    if (!allowed.has(origin)) {
      deps.log.warn({ origin, path: req.path }, 'codec server: request from an origin not allowed');
      res.status(403).json({
        error: 'origin_not_allowed',
        message: 'This origin may not call the codec server (CODEC_SERVER_ORIGINS)',
      });
      return;
    }
    res.set({
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Credentials': 'true',
      Vary: 'Origin',
    });
    if (req.method === 'OPTIONS') {
      res
        .status(204)
        .set({
          'Access-Control-Allow-Methods': 'POST, OPTIONS',
          'Access-Control-Allow-Headers': 'Content-Type, X-Namespace, Authorization',
          'Access-Control-Max-Age': '600',
        })
        .end();
      return;
    }
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/login', (_req, res) => {
    res.type('html').send(loginPage());
  });
  app.post('/login', express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => {
    const body = req.body as Record<string, unknown> | undefined;
    const token = typeof body?.['token'] === 'string' ? body['token'].trim() : '';
    if (!safeEqual(token, deps.token)) {
      res.status(401).type('html').send(loginPage('That is not the codec server token.'));
      return;
    }
    res.cookie(CODEC_COOKIE, token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: deps.secureCookie ?? false,
      path: '/',
      maxAge: 30 * 24 * 3600 * 1000,
    });
    res
      .type('html')
      .send(
        page(
          'Signed in',
          '<p>This browser now sends the codec server token to this server. In the Web UI, the Codec Server ' +
            'settings must have “Include cross-origin credentials” ticked (README: “Customer data in ' +
            'Temporal”). You can close this tab.</p>',
        ),
      );
  });

  const requireToken: RequestHandler = (req, res, next) => {
    const token = presentedToken(req);
    if (!token || !safeEqual(token, deps.token)) {
      deps.log.warn({ path: req.path, origin: req.get('origin') }, 'codec server: missing or wrong token');
      res.status(401).set('WWW-Authenticate', 'Bearer realm="tzs-codec"').json({
        error: 'unauthorized',
        message:
          'The codec server token is required (Authorization: Bearer <CODEC_SERVER_TOKEN>, or sign in at /login)',
      });
      return;
    }
    next();
  };

  // Only the last path segment counts (the protocol lets the endpoints sit under any prefix).
  app.post(
    /\/(encode|decode)$/,
    requireToken,
    express.json({ limit: deps.bodyLimit ?? '16mb' }),
    (req: Request, res: Response) => {
      void convert(req, res, deps);
    },
  );

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', message: 'POST /encode or /decode (or GET /login)' });
  });
  return app;
}

async function convert(req: Request, res: Response, deps: CodecServerDeps): Promise<void> {
  const direction = req.path.endsWith('/encode') ? 'encode' : 'decode';
  const parsed = payloadsJson.safeParse(req.body);
  if (!parsed.success) {
    res.status(400).json({
      error: 'invalid_payloads',
      message: `expected {"payloads": [{"metadata": {...}, "data": "<base64>"}]}: ${parsed.error.issues
        .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
        .join('; ')}`,
    });
    return;
  }
  try {
    const input = parsed.data.payloads.map((p, i) => payloadFromJson(p, i));
    const output = direction === 'encode' ? await deps.codec.encode(input) : await deps.codec.decode(input);
    deps.log.debug(
      { direction, payloads: input.length, namespace: req.get('x-namespace') },
      'codec server request',
    );
    res.json({ payloads: output.map(payloadToJson) });
  } catch (err) {
    if (err instanceof BadRequest) {
      res.status(400).json({ error: 'invalid_payloads', message: err.message });
    } else if (err instanceof PayloadDecryptionError) {
      deps.log.warn({ keyId: err.keyId }, `codec server: ${err.message}`);
      res.status(422).json({ error: 'undecodable', message: err.message, keyId: err.keyId });
    } else {
      deps.log.error({ err }, 'codec server request failed');
      res.status(500).json({ error: 'internal', message: 'Internal error (see the codec server log)' });
    }
  }
}

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title} · togai-zuora-sync codec server</title></head><body style="font-family: sans-serif; max-width: 40em; margin: 3em auto"><h1>${title}</h1>${body}</body></html>`;
}

function loginPage(error?: string): string {
  // A link `/login#<token>` fills the form from the fragment, which browsers never send to a server.
  return page(
    'Codec server sign-in',
    `${error ? `<p style="color: #b00">${error}</p>` : ''}<p>Paste the codec server token (CODEC_SERVER_TOKEN, or in dev mode the file <code>codec-token</code> in the data directory). The Web UI then decodes payloads with this browser's cookie.</p>
<form method="post" action="login"><input type="password" name="token" id="token" size="50" autocomplete="off"> <button type="submit">Sign in</button></form>
<script>const t = decodeURIComponent(location.hash.slice(1)); if (t) { history.replaceState(null, '', location.pathname); document.getElementById('token').value = t; document.forms[0].submit(); }</script>`,
  );
}

/**
 * CODEC_SERVER_TOKEN, or in dev mode a generated one kept in DATA_DIR/codec-token (mode 0600).
 * Production without CODEC_SERVER_TOKEN refuses: an open codec server decrypts every history.
 */
export function resolveCodecServerToken(config: Config, log: Logger): string {
  if (config.codecServer.token) return config.codecServer.token;
  if (config.mode !== 'dev') {
    throw new Error(
      'CODEC_SERVER_TOKEN is required when TZS_MODE=production (at least 24 characters, e.g. `openssl rand -hex 24`)',
    );
  }
  const path = codecTokenPath(config);
  const { value, created } = readOrCreateSecretFile(path, () => `${randomToken(32)}\n`);
  if (created)
    log.warn({ path }, 'dev mode: generated a codec server token (set CODEC_SERVER_TOKEN in production)');
  return value;
}

export function codecTokenPath(config: Config): string {
  return resolve(join(config.dataDir, 'codec-token'));
}

export interface RunningCodecServer {
  /** The URL it listens on (the bound port, also when CODEC_SERVER_PORT is 0). */
  url: string;
  token: string;
  close(): Promise<void>;
}

/**
 * Listens on CODEC_SERVER_HOST:CODEC_SERVER_PORT with the configured keyring's payload codec.
 * Rejects with the listen error (e.g. EADDRINUSE naming the port) instead of running half-started.
 */
export async function startCodecServer(config: Config, log: Logger): Promise<RunningCodecServer> {
  const token = resolveCodecServerToken(config, log);
  const codec = EncryptionCodec.fromKeyring(loadKeyring(config, log));
  const app = createCodecServerApp({
    codec,
    token,
    origins: config.codecServer.origins,
    log,
    secureCookie: config.codecServer.publicUrl.startsWith('https:'),
  });
  // node:http, not app.listen: Express 5 calls app.listen's callback on a listen error too.
  const server = createServer(app);
  await new Promise<void>((resolvePromise, reject) => {
    server.once('listening', () => resolvePromise());
    server.once('error', (err) =>
      reject(
        new Error(
          `codec server cannot listen on ${config.codecServer.host}:${config.codecServer.port} (${err.message}): ` +
            'set CODEC_SERVER_PORT to a free port',
          { cause: err },
        ),
      ),
    );
    server.listen(config.codecServer.port, config.codecServer.host);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.codecServer.port;
  const host = config.codecServer.host === '0.0.0.0' ? 'localhost' : config.codecServer.host;
  const url = `http://${host}:${port}`;
  log.info({ url, origins: config.codecServer.origins }, 'codec server listening');
  return {
    url,
    token,
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
    },
  };
}
