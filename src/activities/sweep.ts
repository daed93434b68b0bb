import { createHash } from 'node:crypto';
import { heartbeat, log } from '@temporalio/activity';
import { callVendor } from '../clients/errors.js';
import { TOGAI_MAX_INVOICE_PAGE_SIZE } from '../clients/togai/client.js';
import { ApplicationFailure } from '@temporalio/common';
import {
  emptyStartCounts,
  FLOW,
  type PendingRerunCounts,
  type StartCounts,
  type QueuedTogaiInvoice,
  type SweptInvoiceStatus,
} from '../flows/index.js';
import { FAILURE, NEEDS_A_PERSON } from '../shared/failures.js';
import { SA } from '../shared/search-attributes.js';
import { deleteInvoiceSweepSchedule } from '../temporal/schedules.js';
import { queueInvoiceSyncs, startSync, type StartSyncDeps } from '../temporal/start-sync.js';
import { invoiceSyncBound } from '../connections/settings.js';
import type { ClientSource } from './connection-clients.js';

/**
 * The invoice sweep's activities (issue 6): one lists a bounded run of Togai invoice pages, the
 * other starts the invoice syncs of one batch through `startSync`, the same call the gateway
 * makes for `invoice.generated`, so a webhook and a sweep for one invoice meet at one workflow ID.
 */

export interface ListInvoicePagesRequest {
  connectionId: string;
  status: SweptInvoiceStatus;
  /** Epoch ms: Togai's `start_time` (invoices whose period ends at or after it). */
  since: number;
  /** Where the previous call stopped; absent for the first page. */
  nextToken?: string;
  pageSize: number;
  /** Pages per call: bounds the result size and the time between workflow checkpoints. */
  maxPages: number;
  /** Digests of the page tokens this listing was handed before (`tokenDigest`). */
  seenTokens?: string[];
}

/** 16 hex digits of a token's SHA-256: what a listing remembers of the tokens it was handed. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

export interface InvoicePages {
  invoiceIds: string[];
  /** Set when more pages remain: pass it to the next call. */
  nextToken?: string;
  /** Set (and nothing listed) when the connection's invoice and usage flows are all off. */
  disabled?: string;
  /** The listing's token digests so far, for the next call. */
  seenTokens?: string[];
  /** Set when a page token came back a second time: the listing of this status ends, with this warning. */
  loop?: string;
}

export interface RestartPendingRequest {
  connectionId: string;
  /**
   * Epoch ms: invoices pending since before this are given up (left to an operator, counted as
   * `expired`); runs of older sweeps that lack `TzsPendingSince` count from their close time.
   */
  closedAfter: number;
  /** At most this many reruns per sweep: bounds the load one sweep adds. */
  limit: number;
  /** The first rerun waits this long after the previous run closed, doubling per rerun up to a day. Default 5 minutes. */
  backoffMs?: number;
}

/** A completed sync with pending usage lines, as visibility lists it. */
export interface PendingCandidate {
  togaiInvoiceId: string;
  /** Epoch ms (UTC). */
  closedAt: number;
  /** Epoch ms: `TzsPendingSince`, or the close time for runs that predate it. */
  since: number;
  reruns: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Pending syncs one sweep reads from visibility at most. */
export const MAX_PENDING_CANDIDATES = 5000;

/**
 * Which pending invoices this sweep reruns: not those pending since before `closedAfter` (given
 * up), not those whose back-off (`backoffMs` × 2^reruns after the last close, at most a day) has
 * not passed, and of the rest the `limit` pending longest, so none waits behind newer ones.
 */
export function selectPendingReruns(
  candidates: readonly PendingCandidate[],
  now: number,
  opts: { closedAfter: number; limit: number; backoffMs: number },
): { chosen: PendingCandidate[]; expired: number; deferred: number } {
  let expired = 0;
  const due: PendingCandidate[] = [];
  let waiting = 0;
  for (const c of candidates) {
    if (c.since < opts.closedAfter) expired++;
    else if (c.closedAt + Math.min(opts.backoffMs * 2 ** c.reruns, DAY_MS) > now) waiting++;
    else due.push(c);
  }
  due.sort((a, b) => a.since - b.since || a.closedAt - b.closedAt);
  const chosen = due.slice(0, opts.limit);
  return { chosen, expired, deferred: waiting + (due.length - chosen.length) };
}

export interface StartInvoiceSyncsRequest {
  connectionId: string;
  invoiceIds: string[];
  /** Starts in flight at once: bounds the load one sweep puts on the Temporal frontend. */
  concurrency: number;
  /** What asked for these syncs (default `sweep`; the admission queue passes `togai-webhook`). */
  trigger?: 'sweep' | 'togai-webhook';
  /** The invoices with the Togai event that announced each (the admission queue); wins over `invoiceIds`. */
  invoices?: QueuedTogaiInvoice[];
  /**
   * At the connection's bound: `queue` (default) hands the rest to the admission queue;
   * `return` gives them back in `deferred` (the queue itself).
   */
  whenFull?: 'queue' | 'return';
}

/** What `startInvoiceSyncs` did: each start's answer, and what the bound held back. */
export type StartInvoiceSyncsResult = StartCounts & {
  /** Handed to the connection's admission queue (`whenFull: 'queue'`). */
  queued?: number;
  /** Not rerun: their latest run failed with a type only a data fix ends (`NEEDS_A_PERSON`). */
  leftFailed?: number;
  /** Not started, in order (`whenFull: 'return'`). */
  deferred?: QueuedTogaiInvoice[];
};

export interface SweepActivityDeps {
  clients: ClientSource;
  /**
   * Temporal client, task queue and budget of each start, as the gateway has them. Absent (a
   * worker built without a client): `startInvoiceSyncs` fails at once, saying so.
   */
  startSync?: StartSyncDeps | undefined;
}

export function createSweepActivities(deps: SweepActivityDeps) {
  return {
    async togaiListInvoicePages(req: ListInvoicePagesRequest): Promise<InvoicePages> {
      const { togai, settings } = await deps.clients
        .forConnection(req.connectionId)
        .catch(async (err: unknown) => {
          // The connection was removed while nothing deleted its schedule (a CLI without Temporal):
          // this worker's store is the one the schedule belongs to, so it goes now, not every interval.
          if (err instanceof ApplicationFailure && err.type === FAILURE.UnknownConnection && deps.startSync) {
            const outcome = await deleteInvoiceSweepSchedule(deps.startSync.client, req.connectionId);
            throw ApplicationFailure.create({
              message: `${err.message}; its invoice sweep schedule ${outcome === 'deleted' ? 'was deleted' : 'is gone'}`,
              type: FAILURE.UnknownConnection,
              nonRetryable: true,
            });
          }
          throw err;
        });
      const { invoices, usageQuantity, usageRevenue } = settings.flows;
      if (!invoices && !usageQuantity && !usageRevenue) {
        return {
          invoiceIds: [],
          disabled: `flows 3, 4 and 5 (invoice and usage sync) are all off for connection ${req.connectionId}: nothing is listed, and the checkpoint stays where it was, so the invoices generated meanwhile are listed once one of them is switched on`,
        };
      }
      const pageSize = Math.min(Math.max(1, req.pageSize), TOGAI_MAX_INVOICE_PAGE_SIZE);
      const ids: string[] = [];
      const seen = new Set<string>();
      // Every token this listing was handed, across batches and runs: one seen before is a loop.
      const tokens = new Set(req.seenTokens ?? []);
      if (req.nextToken !== undefined) tokens.add(tokenDigest(req.nextToken));
      let nextToken = req.nextToken;
      for (let page = 0; page < req.maxPages; page++) {
        const token = nextToken;
        const res = await callVendor(() =>
          togai.listInvoices({
            status: req.status,
            startTime: req.since,
            pageSize,
            ...(token !== undefined && { nextToken: token }),
          }),
        );
        heartbeat({ page, listed: ids.length });
        for (const invoice of res.data) {
          if (!seen.has(invoice.id)) {
            seen.add(invoice.id);
            ids.push(invoice.id);
          }
        }
        // Togai's last page may still carry a token; an empty page ends it.
        if (res.data.length === 0 || res.nextToken === undefined)
          return { invoiceIds: ids, seenTokens: [...tokens] };
        const digest = tokenDigest(res.nextToken);
        if (tokens.has(digest)) {
          // Pages read: one per token handed out, plus the first (read without a token).
          const pages = tokens.size + 1;
          const loop = `Togai's ${req.status} invoice listing handed back a page token it had given before (after ${pages} pages): the listing was ended there, with what it had listed`;
          log.warn(loop, { connectionId: req.connectionId, status: req.status, pages });
          return { invoiceIds: ids, seenTokens: [...tokens], loop };
        }
        tokens.add(digest);
        nextToken = res.nextToken;
      }
      return { invoiceIds: ids, seenTokens: [...tokens], ...(nextToken !== undefined && { nextToken }) };
    },

    /**
     * Starts the sync of each invoice through `startSync`, in order, within the connection's bound
     * of syncs in flight (`invoiceSyncBound`). Never waits for room: from the first invoice the
     * bound defers, the rest are either queued on the connection's admission queue (`whenFull:
     * 'queue'`, the sweep: it goes on listing) or returned in `deferred` (`'return'`, the queue
     * itself, which retries them on a workflow timer). A retried batch is harmless: a start that
     * landed the first time answers already-*.
     */
    async startInvoiceSyncs(req: StartInvoiceSyncsRequest): Promise<StartInvoiceSyncsResult> {
      const temporal = temporalOf(deps);
      const { settings } = await deps.clients.forConnection(req.connectionId);
      const admission = { limit: invoiceSyncBound(settings) };
      const counts = emptyStartCounts();
      let leftFailed = 0;
      const invoices: QueuedTogaiInvoice[] =
        req.invoices ?? req.invoiceIds.map((togaiInvoiceId) => ({ togaiInvoiceId }));
      const pending = [...invoices];
      const deferred: QueuedTogaiInvoice[] = [];
      const lanes = Math.max(1, Math.min(req.concurrency, pending.length));
      const lane = async (): Promise<void> => {
        for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
          if (deferred.length > 0) {
            deferred.push(next); // keep the order: nothing starts ahead of a deferred invoice
            continue;
          }
          const input = {
            connectionId: req.connectionId,
            togaiInvoiceId: next.togaiInvoiceId,
            trigger: req.trigger ?? 'sweep',
            ...(next.eventId !== undefined && { eventId: next.eventId }),
          };
          const res = await startSync(
            temporal,
            { flow: FLOW.togaiInvoiceToZuora, input },
            // The admission queue starts what webhooks announced: it retries any failure, as they do.
            { admission, ...(req.trigger !== 'togai-webhook' && { leaveFailed: NEEDS_A_PERSON }) },
          );
          if (res.status === 'deferred') deferred.push(next);
          else if (res.status === 'left-failed') leftFailed++;
          else counts[res.status]++;
          heartbeat(counts);
        }
      };
      await Promise.all(Array.from({ length: lanes }, lane));
      const left = leftFailed > 0 ? { leftFailed } : {};
      if (deferred.length === 0) return { ...counts, ...left };
      if ((req.whenFull ?? 'queue') === 'return') return { ...counts, ...left, deferred };
      await queueInvoiceSyncs(temporal, req.connectionId, deferred);
      return { ...counts, ...left, queued: deferred.length };
    },

    /**
     * Reruns the connection's completed invoice syncs that left usage lines pending (no
     * subscription yet, a missing mapping, a refusal), so a line synced once its mapping exists
     * needs nobody to remember it. Found through Temporal's visibility (`TzsPendingUsageLines`);
     * `startSync` reruns only a workflow whose latest run still has pending lines.
     */
    async restartPendingInvoiceSyncs(req: RestartPendingRequest): Promise<PendingRerunCounts> {
      const temporal = temporalOf(deps);
      // Every rerun closes again, so the close-time filter keeps the list to invoices in or
      // around the window; each one's own `TzsPendingSince` decides.
      const query =
        `TzsConnectionId="${req.connectionId}" AND WorkflowType="${FLOW.togaiInvoiceToZuora}" AND ` +
        `ExecutionStatus="Completed" AND TzsPendingUsageLines > 0 AND CloseTime > "${new Date(req.closedAfter).toISOString()}"`;
      const latest = new Map<string, PendingCandidate>();
      for await (const wf of temporal.client.workflow.list({ query })) {
        const togaiInvoiceId = wf.typedSearchAttributes.get(SA.togaiInvoiceId);
        if (togaiInvoiceId === undefined) continue;
        const closedAt = wf.closeTime?.getTime() ?? 0;
        const seen = latest.get(togaiInvoiceId);
        if (seen && seen.closedAt >= closedAt) continue;
        latest.set(togaiInvoiceId, {
          togaiInvoiceId,
          closedAt,
          since: wf.typedSearchAttributes.get(SA.pendingSince)?.getTime() ?? closedAt,
          reruns: wf.typedSearchAttributes.get(SA.pendingReruns) ?? 0,
        });
        // A bound on one sweep's reading: what is beyond it waits for the next sweep.
        if (latest.size >= MAX_PENDING_CANDIDATES) break;
      }
      const { chosen, expired, deferred } = selectPendingReruns([...latest.values()], Date.now(), {
        closedAfter: req.closedAfter,
        limit: req.limit,
        backoffMs: req.backoffMs ?? 5 * 60 * 1000,
      });
      const counts: PendingRerunCounts = { ...emptyStartCounts(), expired, deferred };
      const { settings } = await deps.clients.forConnection(req.connectionId);
      const admission = { limit: invoiceSyncBound(settings) };
      for (const c of chosen) {
        const res = await startSync(
          temporal,
          {
            flow: FLOW.togaiInvoiceToZuora,
            input: {
              connectionId: req.connectionId,
              togaiInvoiceId: c.togaiInvoiceId,
              trigger: 'sweep',
              pending: { since: new Date(c.since).toISOString(), reruns: c.reruns + 1 },
            },
          },
          { rerun: 'pending-usage', admission },
        );
        // At the connection's bound a rerun waits for the next sweep (it stays pending).
        if (res.status === 'deferred') counts.deferred = (counts.deferred ?? 0) + 1;
        else if (res.status !== 'left-failed') counts[res.status]++; // not asked for: never answered
        heartbeat(counts);
      }
      return counts;
    },
  };
}

export type { StartCounts, SweptInvoiceStatus };

/** The Temporal client or a failure that says this worker cannot start syncs. */
function temporalOf(deps: SweepActivityDeps): StartSyncDeps {
  if (!deps.startSync) {
    throw ApplicationFailure.nonRetryable(
      'This worker has no Temporal client to start syncs with (built without `startSync`): run the sweep on a worker started by runWorker',
      FAILURE.WorkerMisconfigured,
    );
  }
  return deps.startSync;
}
export type SweepActivities = ReturnType<typeof createSweepActivities>;
