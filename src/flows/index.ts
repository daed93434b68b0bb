/**
 * The flows' contracts, one module per flow (input, result, workflow ID, activity options,
 * failures), and what ties them together: the registry of workflow types and the request that
 * `startSync` takes. Workflow-safe: workflows, activities, the gateway and the CLI import it.
 */
import type { SyncTogaiAccountInput } from './togai-account-to-zuora.js';
import { togaiAccountToZuora } from './togai-account-to-zuora.js';
import type { SyncTogaiInvoiceInput } from './togai-invoice-to-zuora.js';
import { togaiInvoiceToZuora } from './togai-invoice-to-zuora.js';
import { invoiceSweep } from './invoice-sweep.js';
import { invoiceAdmission } from './invoice-admission.js';
import { reconciliation } from './reconciliation.js';
import type { SyncZuoraAccountInput } from './zuora-account-to-togai.js';
import { zuoraAccountToTogai } from './zuora-account-to-togai.js';

export * from './common.js';
export * from './zuora-account-to-togai.js';
export * from './togai-account-to-zuora.js';
export * from './togai-invoice-to-zuora.js';
export * from './invoice-sweep.js';
export * from './invoice-admission.js';
export * from './outcome.js';
export * from './reconciliation.js';
export * from './backfill.js';

/** Workflow type names: what the Web UI shows, `TzsFlow` holds and `temporal workflow start --type` takes. */
export const FLOW = {
  zuoraAccountToTogai: zuoraAccountToTogai.workflowType,
  togaiAccountToZuora: togaiAccountToZuora.workflowType,
  togaiInvoiceToZuora: togaiInvoiceToZuora.workflowType,
  invoiceSweep: invoiceSweep.workflowType,
  invoiceAdmission: invoiceAdmission.workflowType,
  reconciliation: reconciliation.workflowType,
} as const;
export type FlowName = (typeof FLOW)[keyof typeof FLOW];

/** Each flow's contract by workflow type (failures, options), for code that handles every flow. */
export const FLOW_CONTRACTS = {
  [FLOW.zuoraAccountToTogai]: zuoraAccountToTogai,
  [FLOW.togaiAccountToZuora]: togaiAccountToZuora,
  [FLOW.togaiInvoiceToZuora]: togaiInvoiceToZuora,
  [FLOW.invoiceSweep]: invoiceSweep,
  [FLOW.invoiceAdmission]: invoiceAdmission,
  [FLOW.reconciliation]: reconciliation,
} as const;

/** One sync to start for one object, as the gateway, the sweep and backfills ask for it. */
export type SyncRequest =
  | { flow: typeof FLOW.zuoraAccountToTogai; input: SyncZuoraAccountInput }
  | { flow: typeof FLOW.togaiAccountToZuora; input: SyncTogaiAccountInput }
  | { flow: typeof FLOW.togaiInvoiceToZuora; input: SyncTogaiInvoiceInput };

/** The deterministic workflow ID of a sync request. */
export function syncWorkflowId(request: SyncRequest): string {
  switch (request.flow) {
    case FLOW.zuoraAccountToTogai:
      return zuoraAccountToTogai.workflowId(request.input.connectionId, request.input.zuoraAccountId);
    case FLOW.togaiAccountToZuora:
      return togaiAccountToZuora.workflowId(request.input.connectionId, request.input.togaiAccountId);
    case FLOW.togaiInvoiceToZuora:
      return togaiInvoiceToZuora.workflowId(request.input.connectionId, request.input.togaiInvoiceId);
  }
}
