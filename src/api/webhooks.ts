import express, {
  type ErrorRequestHandler,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { WebhookSettings } from '../config.js';
import type { ConnectionService, WebhookCredentials } from '../connections/service.js';
import type { Logger } from '../logger.js';
import { FLOW } from '../flows/index.js';
import {
  startOrQueue,
  type QueuedStart,
  type StartSyncResult,
  type SyncRequest,
} from '../temporal/start-sync.js';
import { checkTogaiAuth, checkZuoraAuth, type AuthResult } from './webhook-auth.js';
import type { GatewayMetrics } from './metrics.js';

/**
 * Webhook routes, mounted at /webhooks: Zuora callouts and Togai events become sync workflow starts.
 *
 *   POST /webhooks/zuora/:connectionId   body {"AccountId": "..."}         -> syncZuoraAccountToTogai
 *   POST /webhooks/togai/:connectionId   account.created / invoice.generated -> syncTogaiAccountToZuora /
 *                                                                              syncTogaiInvoiceToZuora
 *
 * Answers (docs/connections.md, "Webhooks"):
 *   200 {workflowId, runId, status}  the start was accepted or found (started | already-running |
 *                                    already-completed); Togai: {ignored: true}
 *                                    for event types we do not sync; an invoice past the connection's
 *                                    bound of syncs in flight: status `queued` with `admissionWorkflowId`
 *                                    (the queue starts it when there is room)
 *   400 {error, message}             empty or oversized body, not JSON, wrong content type, bad field
 *   401                              missing or wrong credentials / signature, stale Togai timestamp
 *   404                              unknown connection
 *   503                              Temporal (or the connection store) is unreachable: retry later
 *
 * Nothing is ever answered 2xx unless its workflow was started or found: Zuora counts only 200 as
 * delivered and retries 5xx, Togai retries any non-2xx, so a 503 loses nothing. 4xx are final: a
 * request that cannot be authenticated or parsed will not get better by being retried. Only 200 is
 * used for success (never 201/202), because Zuora treats anything else as a failed delivery.
 */

export interface WebhookDeps {
  service: ConnectionService;
  /** Counts what each delivery did (tzs_webhook_deliveries_total); none in tests that do not check it. */
  metrics?: GatewayMetrics;
  client: Client;
  taskQueue: string;
  settings: WebhookSettings;
  log: Logger;
  /** Tests move the clock to check the replay window. */
  nowSeconds?: () => number;
}

/** Zuora's body is `{"AccountId": "..."}`: 64 kB is far beyond any honest callout. */
export const ZUORA_BODY_LIMIT = 64 * 1024;
/** Togai's body carries the whole Account or Invoice (every line item), so it gets more room. */
export const TOGAI_BODY_LIMIT = 1024 * 1024;

/** Vendor ids become parts of `kind:{connection}:{id}` workflow IDs: no colons, no whitespace. */
const objectId = z
  .string()
  .trim()
  .regex(/^[^\s:]{1,128}$/, 'expected an id of 1-128 characters without spaces or colons');
/** Notification and event ids: printable ASCII, bounded. */
const deliveryId = z.string().regex(/^[\x21-\x7e]{1,200}$/, 'expected 1-200 printable ASCII characters');

const zuoraCalloutSchema = z.object({ AccountId: objectId });

const togaiEventSchema = z.object({
  eventId: deliveryId,
  eventType: z.string().min(1).max(200),
  eventTime: z.string().optional(),
  entityId: z.unknown(),
  entity: z.unknown(),
});

type Credentials = WebhookCredentials;

class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function createWebhookRouter(deps: WebhookDeps): Router {
  const router = express.Router();
  const log = deps.log.child({ component: 'webhooks' });
  const now = deps.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const temporal = {
    client: deps.client,
    taskQueue: deps.taskQueue,
    timeoutMs: deps.settings.temporalTimeoutMs,
  };

  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  router.post(
    '/zuora/:connectionId',
    lookupConnection(deps.service, log),
    express.raw({ type: () => true, limit: ZUORA_BODY_LIMIT }),
    async (req, res) => {
      const creds = credentials(res);
      const body = rawBody(req);
      refuseUnlessAuthorized(
        checkZuoraAuth(
          creds.zuora,
          deps.settings.zuoraHmac,
          { authorization: req.get('authorization'), signature: req.get(deps.settings.zuoraHmac.header) },
          body,
        ),
        creds.zuora.auth === 'hmac'
          ? {}
          : { 'WWW-Authenticate': 'Basic realm="tzs-webhooks", charset="UTF-8"' },
      );
      const payload = parseBody(req, body, zuoraCalloutSchema);
      const notificationHeader = req.get('zuora-notification-id');
      let notificationId: string | undefined;
      if (notificationHeader !== undefined) {
        const parsed = deliveryId.safeParse(notificationHeader);
        if (!parsed.success) {
          throw new HttpRefusal(
            400,
            'invalid_header',
            `Zuora-Notification-Id: ${parsed.error.issues[0]?.message}`,
          );
        }
        notificationId = parsed.data;
      }
      if (!creds.flows.zuoraAccountToTogai) {
        return disabled(
          res,
          creds.connectionId,
          FLOW.zuoraAccountToTogai,
          'flow 1 (Zuora account → Togai customer) is off',
          {
            notificationId,
          },
        );
      }
      const request: SyncRequest = {
        flow: FLOW.zuoraAccountToTogai,
        input: {
          connectionId: creds.connectionId,
          zuoraAccountId: payload.AccountId,
          trigger: 'zuora-callout',
          ...(notificationId !== undefined ? { notificationId } : {}),
        },
      };
      await start(request, res, { notificationId });
    },
  );

  router.post(
    '/togai/:connectionId',
    lookupConnection(deps.service, log),
    express.raw({ type: () => true, limit: TOGAI_BODY_LIMIT }),
    async (req, res) => {
      const creds = credentials(res);
      const body = rawBody(req);
      refuseUnlessAuthorized(
        checkTogaiAuth(
          creds.togai,
          req.get('togai-signature'),
          body,
          now(),
          deps.settings.togaiToleranceSeconds,
        ),
      );
      const event = parseBody(req, body, togaiEventSchema);
      const context = { eventId: event.eventId, eventType: event.eventType };
      let request: SyncRequest;
      if (event.eventType === 'account.created' || event.eventType === 'invoice.generated') {
        const entityId = objectId.safeParse(event.entityId);
        if (!entityId.success) {
          throw new HttpRefusal(400, 'invalid_payload', `entityId: ${entityId.error.issues[0]?.message}`);
        }
        const base = {
          connectionId: creds.connectionId,
          trigger: 'togai-webhook',
          eventId: event.eventId,
        } as const;
        const { flows } = creds;
        if (event.eventType === 'account.created' && !flows.togaiAccountToZuora) {
          return disabled(
            res,
            creds.connectionId,
            FLOW.togaiAccountToZuora,
            'flow 2 (Togai account → Zuora account) is off',
            context,
          );
        }
        if (
          event.eventType === 'invoice.generated' &&
          !(flows.invoices || flows.usageQuantity || flows.usageRevenue)
        ) {
          return disabled(
            res,
            creds.connectionId,
            FLOW.togaiInvoiceToZuora,
            'flows 3, 4 and 5 (invoice and usage sync) are all off (the invoice sweep lists this invoice once one is switched on)',
            context,
          );
        }
        request =
          event.eventType === 'account.created'
            ? { flow: FLOW.togaiAccountToZuora, input: { ...base, togaiAccountId: entityId.data } }
            : { flow: FLOW.togaiInvoiceToZuora, input: { ...base, togaiInvoiceId: entityId.data } };
      } else {
        // Acknowledged, not refused: a non-2xx would make Togai retry an event we will never sync.
        log.info({ connectionId: creds.connectionId, ...context }, 'Togai event type not synced: ignored');
        deps.metrics?.webhooks.inc({ source: 'togai', flow: 'none', status: 'ignored' });
        res.status(200).json({ ignored: true, eventType: event.eventType });
        return;
      }
      // Invoices share the connection's bound of syncs in flight with the sweep (issue 12).
      await start(request, res, context, creds.maxInFlightInvoiceSyncs);
    },
  );

  /**
   * A delivery for a flow the connection has switched off: acknowledged with 200 (so Zuora and
   * Togai do not retry it for days) and `status: "disabled"`, and nothing is started.
   */
  function disabled(
    res: Response,
    connectionId: string,
    flow: SyncRequest['flow'],
    what: string,
    context: Record<string, unknown>,
  ): void {
    const reason = `${what} for connection ${connectionId}; nothing was started (tzs connections update ${connectionId} to switch flows on)`;
    log.info(
      { connectionId, flow, ...context },
      'webhook for a disabled flow: acknowledged, nothing started',
    );
    deps.metrics?.webhooks.inc({ source: sourceOf(flow), flow, status: 'disabled' });
    res.status(200).json({ status: 'disabled', flow, connectionId, reason });
  }

  async function start(
    request: SyncRequest,
    res: Response,
    context: Record<string, unknown>,
    maxInFlight?: number,
  ): Promise<void> {
    const connectionId = request.input.connectionId;
    let result: StartSyncResult | QueuedStart;
    try {
      result = await startOrQueue(temporal, request, maxInFlight);
    } catch (err) {
      log.error(
        { err, connectionId, flow: request.flow, ...context },
        'webhook: could not start the sync workflow',
      );
      throw new HttpRefusal(503, 'temporal_unavailable', 'The sync could not be started now; retry later', {
        'Retry-After': '30',
      });
    }
    deps.metrics?.webhooks.inc({ source: sourceOf(request.flow), flow: request.flow, status: result.status });
    log.info(
      { connectionId, flow: request.flow, ...context, ...result },
      `webhook: ${result.status} ${request.flow} ${result.workflowId}`,
    );
    res.status(200).json(result);
  }

  router.use((_req, res) => {
    res.status(404).json({ error: 'not_found', message: 'No such webhook route' });
  });
  router.use(errorHandler(log, deps.metrics));
  return router;
}

function lookupConnection(service: ConnectionService, log: Logger): RequestHandler {
  return async (req, res, next) => {
    const id = req.params['connectionId'];
    let creds: Credentials | undefined;
    try {
      creds = typeof id === 'string' ? await service.webhookCredentials(id) : undefined;
    } catch (err) {
      // The store is down or a key is missing: a retry may succeed, a 4xx would drop the delivery.
      log.error({ err, connectionId: id }, 'webhook: cannot read the connection');
      throw new HttpRefusal(503, 'store_unavailable', 'The connection cannot be read now; retry later');
    }
    if (!creds) throw new HttpRefusal(404, 'unknown_connection', 'No such connection');
    res.locals['credentials'] = creds;
    next();
  };
}

function credentials(res: Response): Credentials {
  return res.locals['credentials'] as Credentials;
}

function rawBody(req: Request): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

function refuseUnlessAuthorized(result: AuthResult, headers: Record<string, string> = {}): void {
  if (!result.ok) throw new HttpRefusal(401, 'unauthorized', result.reason, headers);
}

function parseBody<S extends z.ZodType>(req: Request, body: Buffer, schema: S): z.output<S> {
  if (body.length === 0) throw new HttpRefusal(400, 'empty_body', 'The request body is empty');
  if (!req.is(['application/json', 'application/*+json'])) {
    throw new HttpRefusal(
      400,
      'unsupported_content_type',
      `Expected Content-Type: application/json, got ${JSON.stringify(req.get('content-type') ?? '(none)')}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpRefusal(400, 'invalid_json', 'The request body is not valid JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
    throw new HttpRefusal(400, 'invalid_payload', problems.join('; '));
  }
  return parsed.data;
}

/** Which sender a flow's deliveries come from: Zuora's callout (flow 1) or Togai's events. */
function sourceOf(flow: string): 'zuora' | 'togai' {
  return flow === FLOW.zuoraAccountToTogai ? 'zuora' : 'togai';
}

function errorHandler(log: Logger, metrics?: GatewayMetrics): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const status = err instanceof HttpRefusal ? err.status : bodyErrorType(err) !== undefined ? 400 : 500;
    metrics?.webhooks.inc({
      source: req.path.startsWith('/zuora') ? 'zuora' : 'togai',
      flow: 'unknown',
      status: status === 503 ? 'unavailable' : status >= 500 ? 'error' : 'refused',
    });
    if (err instanceof HttpRefusal) {
      if (err.status === 401 || err.status === 400) {
        log.warn(
          { path: req.path, status: err.status, error: err.code, reason: err.message },
          'webhook refused',
        );
      }
      res.status(err.status).set(err.headers).json({ error: err.code, message: err.message });
      return;
    }
    const type = bodyErrorType(err);
    if (type === 'entity.too.large') {
      res
        .status(400)
        .json({ error: 'payload_too_large', message: 'The request body exceeds the size limit' });
    } else if (type !== undefined) {
      res
        .status(400)
        .json({ error: 'invalid_body', message: `The request body could not be read (${type})` });
    } else {
      log.error({ err, path: req.path }, 'webhook request failed');
      res.status(500).json({ error: 'internal', message: 'Internal error (see the gateway log)' });
    }
  };
}

/** body-parser errors carry a `type` (entity.too.large, encoding.unsupported, request.aborted, ...). */
function bodyErrorType(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'type' in err && typeof err.type === 'string') {
    return err.type;
  }
  return undefined;
}
