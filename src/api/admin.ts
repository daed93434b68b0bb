import { join, resolve } from 'node:path';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Router } from 'express';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { errorAnswer, SecretDecryptionError } from '../connections/errors.js';
import { randomToken, readOrCreateSecretFile } from '../connections/local-files.js';
import { safeEqual } from '../connections/secrets.js';
import type { ConnectionService } from '../connections/service.js';

/**
 * The admin API, mounted at /admin behind a bearer token. A thin HTTP skin over the same
 * ConnectionService the CLI uses: parsing, rules and masking all live in the service.
 *
 *   GET    /admin/connections              list (masked)
 *   POST   /admin/connections              create (verifies credentials; returns webhook setup once)
 *   GET    /admin/connections/:id          show (masked); :id may also be the name
 *   PATCH  /admin/connections/:id          update settings (re-verifies the side that changed)
 *   POST   /admin/connections/:id/test     re-verify credentials
 *   POST   /admin/connections/:id/rotate   new webhook credentials and/or API credentials
 *   DELETE /admin/connections/:id          remove
 */

export interface AdminDeps {
  service: ConnectionService;
  /** Compared in constant time with the request's bearer token. */
  token: string;
  log: Logger;
  /**
   * Runs after a connection is created (the gateway ensures its invoice sweep schedule). A failure
   * is logged, not answered: the connection exists, and every worker start ensures schedules again.
   */
  onConnectionCreated?: (connectionId: string) => Promise<unknown>;
  /** Runs after a connection is removed (the gateway deletes its sweep schedule); failures are logged. */
  onConnectionRemoved?: (connectionId: string) => Promise<unknown>;
}

export function createAdminRouter(deps: AdminDeps): Router {
  const router = express.Router();
  // Responses may carry freshly generated credentials: never let a proxy or browser keep them.
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  router.use(requireBearer(deps.token));
  // JSON parsing only here: webhook routes need the raw body for signatures.
  router.use(express.json({ limit: '64kb' }));

  router.get('/connections', async (_req, res) => {
    res.json({ connections: await deps.service.list() });
  });
  router.post('/connections', async (req, res) => {
    const created = await deps.service.create(req.body);
    await deps
      .onConnectionCreated?.(created.connection.id)
      .catch((err: unknown) =>
        deps.log.warn({ err, connectionId: created.connection.id }, 'post-create hook failed'),
      );
    res.status(201).location(`/admin/connections/${created.connection.id}`).json(created);
  });
  router.get('/connections/:id', async (req, res) => {
    res.json(await deps.service.get(param(req)));
  });
  router.patch('/connections/:id', async (req, res) => {
    res.json(await deps.service.update(param(req), req.body));
  });
  router.post('/connections/:id/test', async (req, res) => {
    const result = await deps.service.test(param(req));
    res.status(result.ok ? 200 : 422).json(result);
  });
  router.post('/connections/:id/rotate', async (req, res) => {
    res.json(await deps.service.rotate(param(req), req.body ?? {}));
  });
  router.delete('/connections/:id', async (req, res) => {
    const removed = await deps.service.remove(param(req));
    await deps
      .onConnectionRemoved?.(removed.id)
      .catch((err: unknown) => deps.log.warn({ err, connectionId: removed.id }, 'post-remove hook failed'));
    res.status(204).end();
  });

  router.use((_req, res) => {
    res.status(404).json({ error: 'not_found', message: 'No such admin route' });
  });
  router.use(errorHandler(deps.log));
  return router;
}

function param(req: Request): string {
  const id = req.params['id'];
  return typeof id === 'string' ? id : '';
}

function requireBearer(token: string): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1] || !safeEqual(match[1], token)) {
      res.status(401).set('WWW-Authenticate', 'Bearer realm="tzs-admin"').json({
        error: 'unauthorized',
        message: 'A valid admin bearer token is required (Authorization: Bearer <ADMIN_TOKEN>)',
      });
      return;
    }
    next();
  };
}

function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    const answer = errorAnswer(err);
    if (answer) {
      if (err instanceof SecretDecryptionError)
        log.error({ err }, 'admin API: cannot decrypt connection secrets');
      res.status(answer.status).json(answer.body);
    } else if (isBodyParseError(err)) {
      res.status(400).json({ error: 'invalid_json', message: 'The request body is not valid JSON' });
    } else {
      log.error({ err }, 'admin API request failed');
      res.status(500).json({ error: 'internal', message: 'Internal error (see the gateway log)' });
    }
  };
}

function isBodyParseError(err: unknown): boolean {
  return err instanceof SyntaxError && 'type' in err && err.type === 'entity.parse.failed';
}

/**
 * ADMIN_TOKEN, or in dev mode a generated one kept in DATA_DIR/admin-token (mode 0600) so it
 * survives restarts. Production without ADMIN_TOKEN refuses: an open admin API hands out secrets.
 */
export function resolveAdminToken(config: Config, log: Logger): string {
  if (config.adminToken) return config.adminToken;
  if (config.mode !== 'dev') {
    throw new Error('ADMIN_TOKEN is required when TZS_MODE=production (e.g. `openssl rand -hex 24`)');
  }
  const path = resolve(join(config.dataDir, 'admin-token'));
  const { value, created } = readOrCreateSecretFile(path, () => `${randomToken(32)}\n`);
  log.warn(
    { path },
    created
      ? 'dev mode: generated an admin API token; read it from this file (set ADMIN_TOKEN in production)'
      : 'dev mode: admin API token is in this file (set ADMIN_TOKEN in production)',
  );
  return value;
}
