/**
 * Deterministic workflow and schedule IDs. A webhook delivered twice, a Zuora retry and a sweep
 * all derive the same ID for the same object, so Temporal refuses the second start instead of
 * running the sync twice. Colons separate parts because neither connection ids (`conn_…`) nor
 * vendor ids contain them.
 */
export const FLOW = {
  zuoraAccountToTogai: 'syncZuoraAccountToTogai',
  togaiAccountToZuora: 'syncTogaiAccountToZuora',
  togaiInvoiceToZuora: 'syncTogaiInvoiceToZuora',
} as const;
export type FlowName = (typeof FLOW)[keyof typeof FLOW];

export function zuoraAccountWorkflowId(connectionId: string, zuoraAccountId: string): string {
  return `zuora-account:${connectionId}:${zuoraAccountId}`;
}

export function togaiAccountWorkflowId(connectionId: string, togaiAccountId: string): string {
  return `togai-account:${connectionId}:${togaiAccountId}`;
}

export function togaiInvoiceWorkflowId(connectionId: string, togaiInvoiceId: string): string {
  return `togai-invoice:${connectionId}:${togaiInvoiceId}`;
}

export function invoiceSweepScheduleId(connectionId: string): string {
  return `togai-invoice-sweep:${connectionId}`;
}
