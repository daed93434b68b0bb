import { Context, heartbeat } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, TerminatedFailure, TimeoutFailure, CancelledFailure } from '@temporalio/common';
import { callVendor } from '../clients/errors.js';
import { invoiceSyncBound, syncSettingsOf } from '../connections/settings.js';
import {
  FLOW,
  SWEPT_STATUSES,
  type BackfillKind,
  type BackfillPage,
  type BackfillPlan,
  type BackfillRecordResult,
  type SyncRequest,
} from '../flows/index.js';
import { FAILURE } from '../shared/failures.js';
import { startSync, type StartSyncDeps } from '../temporal/start-sync.js';
import { planRecord } from './backfill-plan.js';
import type { ClientSource } from './connection-clients.js';

/**
 * The backfill's activities (issue 13): list one page of source records, start one record's sync
 * through `startSync` and wait for its result, and (dry run) plan one record without writing.
 */

export interface BackfillListRequest {
  connectionId: string;
  kind: BackfillKind;
  cursor?: string;
  /** `togai-invoices`: index in SWEPT_STATUSES. */
  part: number;
  pageSize: number;
  /** `togai-invoices`: epoch ms bounds of the invoice period's end, `[since, until)`. */
  since?: number;
  until?: number;
}

export interface BackfillRecordRequest {
  connectionId: string;
  kind: BackfillKind;
  /** Zuora account id, Togai account id or Togai invoice id. */
  id: string;
}

export interface BackfillActivityDeps {
  clients: ClientSource;
  startSync?: StartSyncDeps | undefined;
}

/** The sync request a backfill makes for one record: the webhooks' IDs, trigger `backfill`. */
export function backfillSyncRequest(kind: BackfillKind, connectionId: string, id: string): SyncRequest {
  switch (kind) {
    case 'zuora-accounts':
      return {
        flow: FLOW.zuoraAccountToTogai,
        input: { connectionId, zuoraAccountId: id, trigger: 'backfill' },
      };
    case 'togai-accounts':
      return {
        flow: FLOW.togaiAccountToZuora,
        input: { connectionId, togaiAccountId: id, trigger: 'backfill' },
      };
    case 'togai-invoices':
      return {
        flow: FLOW.togaiInvoiceToZuora,
        input: { connectionId, togaiInvoiceId: id, trigger: 'backfill' },
      };
  }
}

/** A sync's outcome as a backfill counts it: created → synced; empty, skipped, already-billed → skipped. */
export function bucketOf(outcome: string): 'synced' | 'adopted' | 'skipped' {
  if (outcome === 'created') return 'synced';
  if (outcome === 'adopted') return 'adopted';
  return 'skipped';
}

/** Why a sync run failed, as `Type: message` (flows' messages name ids, never customer data). */
export function failureReason(err: unknown): string {
  const cause = err instanceof WorkflowFailedError ? err.cause : err;
  if (cause instanceof ApplicationFailure) return `${cause.type ?? 'Error'}: ${cause.message}`;
  if (cause instanceof TerminatedFailure) return `Terminated: ${cause.message}`;
  if (cause instanceof TimeoutFailure) return `TimedOut: ${cause.message}`;
  if (cause instanceof CancelledFailure) return `Cancelled: ${cause.message}`;
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}

export function createBackfillActivities(deps: BackfillActivityDeps) {
  return {
    /** One page of record ids; `done` once the source (every status, for invoices) is listed. */
    async backfillListPage(req: BackfillListRequest): Promise<BackfillPage> {
      const { zuora, togai, settings } = await deps.clients.forConnection(req.connectionId);
      const end = (ids: string[], next: string | undefined, part = req.part): BackfillPage => {
        if (next !== undefined && next === req.cursor) {
          return {
            ids,
            part,
            done: true,
            warning: `the ${req.kind} listing handed back the same cursor twice: ended there`,
          };
        }
        return { ids, part, done: next === undefined, ...(next !== undefined && { cursor: next }) };
      };
      switch (req.kind) {
        case 'zuora-accounts': {
          const page = await callVendor(() =>
            zuora.queryAccounts({
              filters: [],
              pageSize: req.pageSize,
              ...(req.cursor !== undefined && { cursor: req.cursor }),
            }),
          );
          return end(
            page.data.map((a) => a.id),
            page.nextPage ?? undefined,
          );
        }
        case 'togai-accounts': {
          const page = await callVendor(() =>
            togai.listAccounts({
              pageSize: req.pageSize,
              ...(req.cursor !== undefined && { nextToken: req.cursor }),
            }),
          );
          // Togai's last page may still carry a token; an empty page ends it.
          return end(
            page.data.map((a) => a.id),
            page.data.length > 0 ? page.nextToken : undefined,
          );
        }
        case 'togai-invoices': {
          const { invoices, usageQuantity, usageRevenue } = syncSettingsOf(settings).flows;
          if (!invoices && !usageQuantity && !usageRevenue) {
            return {
              ids: [],
              part: req.part,
              done: true,
              warning: `flows 3, 4 and 5 are all off for connection ${req.connectionId}: no invoice was listed`,
            };
          }
          const status = SWEPT_STATUSES[req.part];
          if (status === undefined) return { ids: [], part: req.part, done: true };
          const page = await callVendor(() =>
            togai.listInvoices({
              status,
              ...(req.since !== undefined && { startTime: req.since }),
              // Togai's end_time is inclusive; the backfill's `until` is not.
              ...(req.until !== undefined && { endTime: req.until - 1 }),
              pageSize: req.pageSize,
              ...(req.cursor !== undefined && { nextToken: req.cursor }),
            }),
          );
          const ids = page.data.map((i) => i.id);
          const next = page.data.length > 0 ? page.nextToken : undefined;
          if (next === undefined || next === req.cursor) {
            // This status is listed: the next one starts without a cursor.
            const last = req.part + 1 >= SWEPT_STATUSES.length;
            const warning =
              next !== undefined
                ? `the ${status} invoice listing handed back the same cursor twice: ended there`
                : undefined;
            return { ids, part: req.part + 1, done: last, ...(warning !== undefined && { warning }) };
          }
          return { ids, part: req.part, done: false, cursor: next };
        }
      }
    },

    /**
     * Starts the record's sync through `startSync` (invoice syncs within the connection's bound:
     * `deferred` when it is full, and the workflow asks again later) and waits for the run's
     * result, heartbeating, whether this call started it, a webhook did, or it completed before.
     */
    async backfillSyncRecord(req: BackfillRecordRequest): Promise<BackfillRecordResult> {
      const temporal = deps.startSync;
      if (!temporal) {
        throw ApplicationFailure.nonRetryable(
          'This worker has no Temporal client to start syncs with (built without `startSync`): run backfills on a worker started by runWorker',
          FAILURE.WorkerMisconfigured,
        );
      }
      const request = backfillSyncRequest(req.kind, req.connectionId, req.id);
      let options = {};
      if (req.kind === 'togai-invoices') {
        const { settings } = await deps.clients.forConnection(req.connectionId);
        options = { admission: { limit: invoiceSyncBound(settings) } };
      }
      const started = await startSync(temporal, request, options);
      const base = { id: req.id, workflowId: started.workflowId, status: started.status };
      if (started.status === 'deferred') return base;
      const handle = temporal.client.workflow.getHandle(started.workflowId, started.runId);
      const beat = setInterval(() => heartbeat(started.status), 5_000);
      try {
        const result = (await Promise.race([handle.result(), Context.current().cancelled])) as {
          outcome?: string;
          reason?: string;
        };
        const reason = result.reason ?? `completed with outcome ${result.outcome ?? 'unknown'}`;
        // A run that completed before this backfill reached the record (a webhook, an earlier
        // backfill) counts by its own outcome; the reason says so, the `status` tells them apart.
        return {
          ...base,
          outcome: bucketOf(result.outcome ?? ''),
          reason:
            started.status === 'already-completed'
              ? `synced before this backfill reached it: ${reason}`
              : reason,
        };
      } catch (err) {
        if (err instanceof WorkflowFailedError)
          return { ...base, outcome: 'failed', reason: failureReason(err) };
        throw err;
      } finally {
        clearInterval(beat);
      }
    },

    /** Dry run: what the record's sync would do, with the payload; reads only. */
    async backfillPlanRecord(req: BackfillRecordRequest): Promise<BackfillPlan> {
      const clients = await deps.clients.forConnection(req.connectionId);
      heartbeat();
      return planRecord(clients, req.kind, req.id);
    },
  };
}

export type BackfillActivities = ReturnType<typeof createBackfillActivities>;
