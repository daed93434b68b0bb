import { heartbeat } from '@temporalio/activity';
import { callVendor } from '../clients/errors.js';
import { TOGAI_MAX_INVOICE_PAGE_SIZE } from '../clients/togai/client.js';
import { ApplicationFailure } from '@temporalio/common';
import { emptyStartCounts, FLOW, type StartCounts, type SweptInvoiceStatus } from '../flows/index.js';
import { FAILURE } from '../shared/failures.js';
import { SA } from '../shared/search-attributes.js';
import { startSync, type StartSyncDeps } from '../temporal/start-sync.js';
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
}

export interface InvoicePages {
  invoiceIds: string[];
  /** Set when more pages remain: pass it to the next call. */
  nextToken?: string;
  /** Set (and nothing listed) when the connection's invoice and usage flows are all off. */
  disabled?: string;
}

export interface RestartPendingRequest {
  connectionId: string;
  /** Epoch ms: only syncs that completed after this are rerun (older pending lines are left to an operator). */
  closedAfter: number;
  /** At most this many reruns per sweep: bounds the load one sweep adds. */
  limit: number;
}

export interface StartInvoiceSyncsRequest {
  connectionId: string;
  invoiceIds: string[];
  /** Starts in flight at once: bounds the load one sweep puts on the Temporal frontend. */
  concurrency: number;
}

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
      const { togai, settings } = await deps.clients.forConnection(req.connectionId);
      const { invoices, usageQuantity, usageRevenue } = settings.flows;
      if (!invoices && !usageQuantity && !usageRevenue) {
        return {
          invoiceIds: [],
          disabled: `flows 3, 4 and 5 (invoice and usage sync) are off for connection ${req.connectionId}: nothing is listed`,
        };
      }
      const pageSize = Math.min(Math.max(1, req.pageSize), TOGAI_MAX_INVOICE_PAGE_SIZE);
      const ids: string[] = [];
      const seen = new Set<string>();
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
        // Togai's last page may still carry a token; an empty page or a repeated token ends it.
        if (res.data.length === 0 || res.nextToken === undefined || res.nextToken === token) {
          return { invoiceIds: ids };
        }
        nextToken = res.nextToken;
      }
      return { invoiceIds: ids, ...(nextToken !== undefined && { nextToken }) };
    },

    async startInvoiceSyncs(req: StartInvoiceSyncsRequest): Promise<StartCounts> {
      const temporal = temporalOf(deps);
      const counts = emptyStartCounts();
      const queue = [...req.invoiceIds];
      const lanes = Math.max(1, Math.min(req.concurrency, queue.length));
      // A retried batch is harmless: a start that landed the first time answers already-*.
      const lane = async (): Promise<void> => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
          const res = await startSync(temporal, {
            flow: FLOW.togaiInvoiceToZuora,
            input: { connectionId: req.connectionId, togaiInvoiceId: id, trigger: 'sweep' },
          });
          counts[res.status]++;
          heartbeat(counts);
        }
      };
      await Promise.all(Array.from({ length: lanes }, lane));
      return counts;
    },

    /**
     * Reruns the connection's completed invoice syncs that left usage lines pending (no
     * subscription yet, a missing mapping, a refusal), so a line synced once its mapping exists
     * needs nobody to remember it. Found through Temporal's visibility (`TzsPendingUsageLines`);
     * `startSync` reruns only a workflow whose latest run still has pending lines.
     */
    async restartPendingInvoiceSyncs(req: RestartPendingRequest): Promise<StartCounts> {
      const temporal = temporalOf(deps);
      const query =
        `TzsConnectionId="${req.connectionId}" AND WorkflowType="${FLOW.togaiInvoiceToZuora}" AND ` +
        `ExecutionStatus="Completed" AND TzsPendingUsageLines > 0 AND CloseTime > "${new Date(req.closedAfter).toISOString()}"`;
      const invoiceIds = new Set<string>();
      for await (const wf of temporal.client.workflow.list({ query })) {
        const id = wf.typedSearchAttributes.get(SA.togaiInvoiceId);
        if (id !== undefined) invoiceIds.add(id);
        if (invoiceIds.size >= req.limit) break;
      }
      const counts = emptyStartCounts();
      for (const togaiInvoiceId of invoiceIds) {
        const res = await startSync(
          temporal,
          {
            flow: FLOW.togaiInvoiceToZuora,
            input: { connectionId: req.connectionId, togaiInvoiceId, trigger: 'sweep' },
          },
          { rerun: 'pending-usage' },
        );
        counts[res.status]++;
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
