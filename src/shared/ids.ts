/**
 * The shape of a connection id (`conn_` + base36, src/connections/secrets.ts makes them): one
 * definition for the store's schema and for code that finds a connection id inside a workflow ID.
 * Workflow-safe.
 */
export const CONNECTION_ID_PATTERN = /^conn_[a-z0-9]{1,35}$/;

const IN_WORKFLOW_ID = /(?:^|:)(conn_[a-z0-9]{1,35})(?=$|[:-])/;

/**
 * The connection a workflow ID belongs to: every ID this service gives (syncs
 * `zuora-account:{conn}:{id}`, schedules and their runs `togai-invoice-sweep:{conn}-{time}`,
 * `reconciliation:{conn}…`, `backfill:{kind}:{conn}`, the admission queue) holds it as its first
 * `conn_…` segment. Undefined for an ID without one (a workflow started by hand under another name).
 */
export function connectionIdOfWorkflowId(workflowId: string): string | undefined {
  return IN_WORKFLOW_ID.exec(workflowId)?.[1];
}
