import { heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { callVendor, NotFoundError, toApplicationFailure } from '../clients/errors.js';
import type { TogaiInvoice } from '../clients/togai/schemas.js';
import { TOGAI_MAX_INVOICE_PAGE_SIZE } from '../clients/togai/client.js';
import { billingMode, FLOW, syncWorkflowId, type SyncRequest } from '../flows/index.js';
import type {
  DriftItem,
  ReconcilePage,
  ReconcilePageRequest,
  ReconcileSettings,
} from '../flows/reconciliation.js';
import { zuoraInvoiceFromTogai, togaiInvoiceCurrency } from '../mapping/invoice-togai-to-zuora.js';
import {
  compareInvoice,
  compareTogaiAccount,
  compareUsage,
  compareZuoraAccount,
  orphanOfInvoice,
  togaiInvoiceIdOfUsageKey,
  type ExpectedUsage,
  type TogaiAccountFacts,
  type ZuoraAccountFacts,
  type ZuoraUsageFacts,
} from '../mapping/reconcile.js';
import {
  meterMapping,
  meterRevenue,
  togaiUsageLines,
  usageFigures,
  USAGE_KEY_FIELD,
  USAGE_METER_ENTITY_TYPE,
} from '../mapping/usage-togai-to-zuora.js';
import { MAPPING_SETTING } from '../mapping/zuora-account-to-togai.js';
import { isZero, roundToCurrency } from '../shared/money.js';
import { usageRecordKey, usageRecordKeyPrefix } from '../shared/idempotency.js';
import { FAILURE } from '../shared/failures.js';
import { deleteReconciliationSchedule } from '../temporal/schedules.js';
import { startSync, type StartSyncDeps } from '../temporal/start-sync.js';
import { SYNCABLE_INVOICE_STATUSES } from '../mapping/invoice-togai-to-zuora.js';
import type { ClientSource, ConnectionClients } from './connection-clients.js';
import { allPages } from './paging.js';

/**
 * The reconciliation's activities (issue 13). One page run (`reconcilePage`) reads a bounded run
 * of one listing, gathers for each record what the other side holds, and hands both to the pure
 * comparisons of src/mapping/reconcile.ts: only drift items and a cursor come back, so the
 * workflow's history stays small however many records agree. `startRepairs` starts the repairing
 * syncs through `startSync`, the webhooks' start path.
 */

export interface ReconcileActivityDeps {
  clients: ClientSource;
  startSync?: StartSyncDeps | undefined;
}

/** A repair to start: the sync and its object, and the drift items it repairs (by index). */
export interface RepairRequest {
  connectionId: string;
  /** Unique syncs to start (one per object), as the items name them. */
  syncs: { flow: NonNullable<DriftItem['repairBy']>['flow']; id: string }[];
  /** The reconciliation run asking: recorded as the runs' delivery id. */
  requestedBy: string;
}

export interface RepairOutcome {
  flow: string;
  id: string;
  workflowId: string;
  status: string;
  reason?: string;
}

/** Cursor of the Togai invoice pass: which status is being listed, and Togai's token within it. */
interface InvoiceCursor {
  s: number;
  t?: string;
}

const LISTED_STATUSES = SYNCABLE_INVOICE_STATUSES;

async function orUndefined<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw toApplicationFailure(err);
  }
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

export function createReconcileActivities(deps: ReconcileActivityDeps) {
  return {
    /** The connection's reconciliation settings and billing mode. */
    async getReconcileSettings({ connectionId }: { connectionId: string }): Promise<ReconcileSettings> {
      const { settings } = await deps.clients.forConnection(connectionId).catch(async (err: unknown) => {
        // The connection was removed while nothing deleted its schedule (a CLI without Temporal):
        // it goes now, not every interval.
        if (err instanceof ApplicationFailure && err.type === FAILURE.UnknownConnection && deps.startSync) {
          const outcome = await deleteReconciliationSchedule(deps.startSync.client, connectionId);
          throw ApplicationFailure.create({
            message: `${err.message}; its reconciliation schedule ${outcome === 'deleted' ? 'was deleted' : 'is gone'}`,
            type: FAILURE.UnknownConnection,
            nonRetryable: true,
          });
        }
        throw err;
      });
      return {
        billingMode: billingMode(settings.flows),
        repair: settings.reconciliation.repair,
        lookbackDays: settings.reconciliation.lookbackDays,
      };
    },

    /** One bounded run of one pass: the drift found, the records looked at, where to go on. */
    async reconcilePage(req: ReconcilePageRequest): Promise<ReconcilePage> {
      const c = await deps.clients.forConnection(req.connectionId);
      switch (req.pass) {
        case 'zuora-accounts':
          return zuoraAccountsPage(c, req);
        case 'togai-accounts':
          return togaiAccountsPage(c, req);
        case 'togai-invoices':
          return togaiInvoicesPage(c, req);
        case 'zuora-invoices':
          return zuoraInvoicesPage(c, req);
        case 'zuora-usages':
          return zuoraUsagesPage(c, req);
      }
    },

    /**
     * Starts each repairing sync through `startSync` (deterministic IDs: a sync running for the
     * same object is joined, not doubled). A sync whose last run completed is started again, as a
     * new run of the same workflow ID: its object drifted since (see `restartCompleted`).
     */
    async startRepairs(req: RepairRequest): Promise<RepairOutcome[]> {
      const temporal = deps.startSync;
      if (!temporal) {
        throw ApplicationFailure.nonRetryable(
          'This worker has no Temporal client to start syncs with (built without `startSync`): run the reconciliation on a worker started by runWorker',
          FAILURE.WorkerMisconfigured,
        );
      }
      const outcomes: RepairOutcome[] = [];
      for (const sync of req.syncs) {
        const request = syncRequest(req.connectionId, sync);
        const workflowId = syncWorkflowId(request);
        try {
          // The object drifted since its sync completed: that completed sync runs again.
          const { status } = await startSync(temporal, request, { rerun: 'drifted' });
          outcomes.push({ flow: sync.flow, id: sync.id, workflowId, status });
        } catch (err) {
          outcomes.push({
            flow: sync.flow,
            id: sync.id,
            workflowId,
            status: 'failed',
            reason: err instanceof Error ? err.message : String(err),
          });
        }
        heartbeat(outcomes.length);
      }
      return outcomes;
    },
  };
}

export type ReconcileActivities = ReturnType<typeof createReconcileActivities>;

function syncRequest(
  connectionId: string,
  sync: { flow: NonNullable<DriftItem['repairBy']>['flow']; id: string },
): SyncRequest {
  const trigger = 'reconcile' as const;
  switch (sync.flow) {
    case 'syncZuoraAccountToTogai':
      return { flow: FLOW.zuoraAccountToTogai, input: { connectionId, zuoraAccountId: sync.id, trigger } };
    case 'syncTogaiAccountToZuora':
      return { flow: FLOW.togaiAccountToZuora, input: { connectionId, togaiAccountId: sync.id, trigger } };
    case 'syncTogaiInvoiceToZuora':
      return { flow: FLOW.togaiInvoiceToZuora, input: { connectionId, togaiInvoiceId: sync.id, trigger } };
  }
}

// ---------------------------------------------------------------------------------------------
// Passes

/** Zuora accounts carrying a Togai account id, each against the Togai account it names. */
async function zuoraAccountsPage(c: ConnectionClients, req: ReconcilePageRequest): Promise<ReconcilePage> {
  const fields = c.settings.zuora.customFields;
  const namespace = c.settings.togai.settingsNamespace;
  const items: DriftItem[] = [];
  let checked = 0;
  let cursor = req.cursor;
  for (let page = 0; page < req.maxPages; page++) {
    const token = cursor;
    const res = await callVendor(() =>
      c.zuora.queryAccounts({
        filters: [{ field: fields.accountTogaiAccountId, op: 'NE', value: 'null' }],
        pageSize: req.zuoraPageSize,
        ...(token !== undefined && { cursor: token }),
      }),
    );
    for (const a of res.data) {
      // Object queries do not return custom fields: the account's GET does.
      const account = await orUndefined(() => c.zuora.getAccount(a.id));
      if (!account) continue;
      const facts: ZuoraAccountFacts = {
        zuoraAccountId: account.basicInfo.id,
        ...optional('togaiAccountId', text(account.basicInfo[fields.accountTogaiAccountId])),
        ...optional('togaiCustomerId', text(account.basicInfo[fields.accountTogaiCustomerId])),
      };
      checked++;
      const togai = facts.togaiAccountId
        ? await togaiAccountFacts(c, facts.togaiAccountId, namespace)
        : undefined;
      items.push(...compareZuoraAccount(facts, togai, fields, namespace));
    }
    heartbeat({ page, checked });
    cursor = res.nextPage ?? undefined;
    if (cursor === undefined || cursor === '' || res.data.length === 0) return { items, checked };
  }
  return { items, checked, ...(cursor !== undefined && { cursor }) };
}

async function togaiAccountFacts(
  c: ConnectionClients,
  togaiAccountId: string,
  namespace: string,
): Promise<TogaiAccountFacts | undefined> {
  const account = await orUndefined(() => c.togai.getAccount(togaiAccountId));
  if (!account) return undefined;
  const settings = await allPages((nextToken) =>
    c.togai.listSettings({
      entityType: 'ACCOUNT',
      entityId: account.id,
      namespace,
      ...(nextToken !== undefined && { nextToken }),
    }),
  );
  const mapped = text(
    settings.find((s) => s.id === MAPPING_SETTING.zuoraAccountId && s.namespace === namespace)?.value,
  );
  return {
    togaiAccountId: account.id,
    togaiCustomerId: account.customerId,
    ...optional('mappedZuoraAccountId', mapped),
  };
}

/** Togai accounts with a Zuora mapping, each against the Zuora account it names. */
async function togaiAccountsPage(c: ConnectionClients, req: ReconcilePageRequest): Promise<ReconcilePage> {
  const fields = c.settings.zuora.customFields;
  const namespace = c.settings.togai.settingsNamespace;
  const items: DriftItem[] = [];
  let checked = 0;
  let cursor = req.cursor;
  for (let page = 0; page < req.maxPages; page++) {
    const token = cursor;
    const res = await callVendor(() =>
      c.togai.listAccounts({ pageSize: req.togaiPageSize, ...(token !== undefined && { nextToken: token }) }),
    );
    for (const a of res.data) {
      const togai = await togaiAccountFacts(c, a.id, namespace);
      if (!togai) continue;
      checked++;
      if (togai.mappedZuoraAccountId === undefined) continue;
      const mapped = togai.mappedZuoraAccountId;
      const account = await orUndefined(() => c.zuora.getAccount(mapped));
      const zuora: ZuoraAccountFacts | undefined = account && {
        zuoraAccountId: account.basicInfo.id,
        ...optional('togaiAccountId', text(account.basicInfo[fields.accountTogaiAccountId])),
        ...optional('togaiCustomerId', text(account.basicInfo[fields.accountTogaiCustomerId])),
      };
      items.push(...compareTogaiAccount(togai, zuora, fields, namespace));
    }
    heartbeat({ page, checked });
    cursor = res.nextToken;
    if (cursor === undefined || res.data.length === 0) return { items, checked };
  }
  return { items, checked, ...(cursor !== undefined && { cursor }) };
}

/**
 * Generated Togai invoices of the period, each against Zuora: in Togai-invoices mode its one
 * Zuora invoice and total; in Zuora-bills-usage mode its usage records.
 */
async function togaiInvoicesPage(c: ConnectionClients, req: ReconcilePageRequest): Promise<ReconcilePage> {
  const mode = billingMode(c.settings.flows);
  if (mode === 'none') return { items: [], checked: 0 };
  const state: InvoiceCursor =
    req.cursor !== undefined ? (JSON.parse(req.cursor) as InvoiceCursor) : { s: 0 };
  const items: DriftItem[] = [];
  let checked = 0;
  const pageSize = Math.min(Math.max(1, req.togaiPageSize), TOGAI_MAX_INVOICE_PAGE_SIZE);
  for (let page = 0; page < req.maxPages; page++) {
    const status = LISTED_STATUSES[state.s];
    if (status === undefined) return { items, checked };
    const token = state.t;
    const res = await callVendor(() =>
      c.togai.listInvoices({
        status,
        startTime: Date.parse(req.since),
        endTime: Date.parse(req.until),
        pageSize,
        ...(token !== undefined && { nextToken: token }),
      }),
    );
    for (const summary of res.data) {
      const invoice = await orUndefined(() => c.togai.getInvoice(summary.id));
      if (!invoice) continue;
      checked++;
      items.push(
        ...(mode === 'togai-invoices' ? await checkInvoice(c, invoice) : await checkUsage(c, invoice)),
      );
    }
    heartbeat({ page, checked });
    if (res.nextToken === undefined || res.data.length === 0) {
      state.s++;
      delete state.t;
    } else {
      state.t = res.nextToken;
    }
  }
  return {
    items,
    checked,
    ...(state.s < LISTED_STATUSES.length && { cursor: JSON.stringify(state) }),
  };
}

async function checkInvoice(c: ConnectionClients, invoice: TogaiInvoice): Promise<DriftItem[]> {
  const field = c.settings.zuora.customFields.invoiceTogaiInvoiceId;
  const decimals = c.settings.zuora.currencyDecimals;
  const currency = togaiInvoiceCurrency(invoice) ?? 'USD';
  const found = await callVendor(() =>
    c.zuora.queryInvoices({ filters: [{ field, value: invoice.id }], pageSize: 10 }),
  );
  // The invoice flow's own plan says what Zuora must total (its rounding) and whether an invoice is due.
  const plan = zuoraInvoiceFromTogai(invoice, {
    zuoraAccountId: found.data[0]?.accountId ?? 'unknown',
    currency,
    status: c.settings.zuora.invoiceStatus,
    togaiInvoiceIdField: field,
    currencyDecimals: decimals,
    togaiTimeZone: c.settings.togai.timeZone,
    taxLines: c.settings.zuora.taxLines,
    taxCode: c.settings.zuora.taxCode,
    zeroAmountLines: c.settings.zuora.zeroAmountLines,
  });
  const expectedTotal =
    plan.kind === 'create'
      ? plan.rounding.zuoraTotal
      : roundToCurrency(invoice.totalAmount, currency, decimals);
  const noZuoraInvoice =
    plan.kind === 'empty' || (c.settings.zuora.zeroTotalInvoices === 'skip' && isZero(expectedTotal));
  // Billed as usage records before the connection switched to invoices: the invoice flow ends it
  // `already-billed`, so a missing Zuora invoice is no drift (else every run would report it again).
  if (found.data.length === 0 && !noZuoraInvoice) {
    const keyField = c.settings.zuora.customFields.usageKey ?? USAGE_KEY_FIELD;
    if ((await usageRecordsOf(c, keyField, usageRecordKeyPrefix(invoice.id))).length > 0) return [];
  }
  return compareInvoice(
    {
      togaiInvoiceId: invoice.id,
      ...optional('togaiAccountId', invoice.ownerId ?? undefined),
      currency,
      togaiTotal: invoice.totalAmount,
      expectedTotal,
      noZuoraInvoice,
    },
    found.data.map((z) => ({
      zuoraInvoiceId: z.id,
      ...optional('zuoraAccountId', z.accountId ?? undefined),
      ...optional('amount', z.amount ?? undefined),
    })),
  );
}

async function checkUsage(c: ConnectionClients, invoice: TogaiInvoice): Promise<DriftItem[]> {
  // Billed as a Zuora invoice before the connection switched to usage: the flow ends it
  // `already-billed` and makes no records, so missing records are no drift.
  const invoiceField = c.settings.zuora.customFields.invoiceTogaiInvoiceId;
  const billed = await callVendor(() =>
    c.zuora.queryInvoices({ filters: [{ field: invoiceField, value: invoice.id }], pageSize: 1 }),
  );
  if (billed.data.length > 0) return [];
  const keyField = c.settings.zuora.customFields.usageKey ?? USAGE_KEY_FIELD;
  const namespace = c.settings.togai.settingsNamespace;
  const currency = togaiInvoiceCurrency(invoice) ?? 'USD';
  const expected: ExpectedUsage[] = [];
  for (const line of togaiUsageLines(invoice)) {
    // Lines without a meter id are skipped by the flow too unless a meter name matches; not checked here.
    if (line.meterId === undefined) continue;
    const meterId = line.meterId;
    const meterSettings = await allPages((nextToken) =>
      c.togai.listSettings({
        entityType: USAGE_METER_ENTITY_TYPE,
        entityId: meterId,
        namespace,
        ...(nextToken !== undefined && { nextToken }),
      }),
    );
    const decided = meterMapping(meterSettings, namespace, c.settings.usageSyncMode, c.settings.flows);
    if ('skip' in decided) continue;
    const figures = usageFigures(decided.mapping.mode, line.quantity, meterRevenue(invoice, meterId), {
      code: currency,
      decimals: c.settings.zuora.currencyDecimals,
    });
    if (isZero(figures.quantity) && c.settings.zuora.zeroQuantityUsage === 'skip') continue;
    expected.push({
      usageMeterId: meterId,
      key: usageRecordKey(invoice.id, meterId),
      quantity: figures.quantity,
    });
  }
  const records = await usageRecordsOf(c, keyField, usageRecordKeyPrefix(invoice.id));
  return compareUsage(invoice.id, expected, records);
}

/** Every usage record whose key starts with `prefix`, with its key (from the record's GET). */
async function usageRecordsOf(
  c: ConnectionClients,
  keyField: string,
  prefix: string,
): Promise<ZuoraUsageFacts[]> {
  const records: ZuoraUsageFacts[] = [];
  let cursor: string | undefined;
  const seen = new Set<string>();
  do {
    const token = cursor;
    const res = await callVendor(() =>
      c.zuora.queryUsages({
        filters: [{ field: keyField, op: 'SW', value: prefix }],
        pageSize: 99,
        ...(token !== undefined && { cursor: token }),
      }),
    );
    for (const u of res.data) {
      const usage = await orUndefined(() => c.zuora.getUsage(u.id));
      const key = text((usage as Record<string, unknown> | undefined)?.[keyField]);
      if (!usage || key === undefined) continue;
      records.push({
        zuoraUsageId: u.id,
        key,
        ...optional('quantity', usage.Quantity ?? undefined),
        ...optional('zuoraAccountId', usage.AccountId ?? undefined),
      });
    }
    cursor = res.nextPage ?? undefined;
    if (cursor !== undefined && seen.has(cursor)) break;
    if (cursor !== undefined) seen.add(cursor);
  } while (cursor !== undefined && cursor !== '');
  return records;
}

/** Zuora invoices created in the period carrying a Togai invoice id: orphans when Togai lacks it. */
async function zuoraInvoicesPage(c: ConnectionClients, req: ReconcilePageRequest): Promise<ReconcilePage> {
  const field = c.settings.zuora.customFields.invoiceTogaiInvoiceId;
  const items: DriftItem[] = [];
  let checked = 0;
  let cursor = req.cursor;
  const known = new Map<string, boolean>();
  for (let page = 0; page < req.maxPages; page++) {
    const token = cursor;
    const res = await callVendor(() =>
      c.zuora.queryInvoices({
        filters: [
          { field, op: 'NE', value: 'null' },
          { field: 'createdDate', op: 'GE', value: req.since },
        ],
        pageSize: req.zuoraPageSize,
        ...(token !== undefined && { cursor: token }),
      }),
    );
    for (const z of res.data) {
      const invoice = await orUndefined(() => c.zuora.getInvoice(z.id));
      const togaiInvoiceId = text((invoice as Record<string, unknown> | undefined)?.[field]);
      if (togaiInvoiceId === undefined) continue;
      checked++;
      if (!(await togaiInvoiceKnown(c, togaiInvoiceId, known)))
        items.push(orphanOfInvoice({ zuoraInvoiceId: z.id }, togaiInvoiceId, field));
    }
    heartbeat({ page, checked });
    cursor = res.nextPage ?? undefined;
    if (cursor === undefined || cursor === '' || res.data.length === 0) return { items, checked };
  }
  return { items, checked, ...(cursor !== undefined && { cursor }) };
}

/** Zuora usage records created in the period under a v2 key: orphans when Togai lacks the invoice. */
async function zuoraUsagesPage(c: ConnectionClients, req: ReconcilePageRequest): Promise<ReconcilePage> {
  const keyField = c.settings.zuora.customFields.usageKey ?? USAGE_KEY_FIELD;
  const flows = c.settings.flows;
  // A tenant without the usage key field has no records of ours (requiredCustomFields).
  if (!flows.usageQuantity && !flows.usageRevenue) return { items: [], checked: 0 };
  const items: DriftItem[] = [];
  let checked = 0;
  let cursor = req.cursor;
  const known = new Map<string, boolean>();
  for (let page = 0; page < req.maxPages; page++) {
    const token = cursor;
    const res = await callVendor(() =>
      c.zuora.queryUsages({
        filters: [
          { field: keyField, op: 'SW', value: 'tzs2:usage:' },
          { field: 'createdDate', op: 'GE', value: req.since },
        ],
        pageSize: req.zuoraPageSize,
        ...(token !== undefined && { cursor: token }),
      }),
    );
    for (const u of res.data) {
      const usage = await orUndefined(() => c.zuora.getUsage(u.id));
      const key = text((usage as Record<string, unknown> | undefined)?.[keyField]);
      const togaiInvoiceId = key === undefined ? undefined : togaiInvoiceIdOfUsageKey(key);
      if (togaiInvoiceId === undefined) continue;
      checked++;
      if (!(await togaiInvoiceKnown(c, togaiInvoiceId, known)))
        items.push(orphanOfInvoice({ zuoraUsageId: u.id }, togaiInvoiceId, keyField));
    }
    heartbeat({ page, checked });
    cursor = res.nextPage ?? undefined;
    if (cursor === undefined || cursor === '' || res.data.length === 0) return { items, checked };
  }
  return { items, checked, ...(cursor !== undefined && { cursor }) };
}

async function togaiInvoiceKnown(
  c: ConnectionClients,
  togaiInvoiceId: string,
  known: Map<string, boolean>,
): Promise<boolean> {
  const cached = known.get(togaiInvoiceId);
  if (cached !== undefined) return cached;
  const found = (await orUndefined(() => c.togai.getInvoice(togaiInvoiceId))) !== undefined;
  known.set(togaiInvoiceId, found);
  return found;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
