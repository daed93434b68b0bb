/**
 * Inputs and results of the sync workflows: the contract between the gateway (and sweeps, and
 * backfills from the CLI) that start them and the workflows themselves. Inputs carry ids only,
 * never secrets: activities resolve the connection's credentials themselves.
 */

/** What started a sync: shown in the workflow's input in the Web UI. */
export type SyncTrigger = 'zuora-callout' | 'togai-webhook' | 'sweep' | 'backfill' | 'manual' | 'child';

export interface SyncZuoraAccountInput {
  connectionId: string;
  zuoraAccountId: string;
  trigger: SyncTrigger;
  /** Zuora-Notification-Id of the callout, when a callout started it. */
  notificationId?: string;
}

export interface SyncTogaiAccountInput {
  connectionId: string;
  togaiAccountId: string;
  trigger: SyncTrigger;
  /** Id of the Togai event, when a webhook started it. */
  eventId?: string;
}

/** What an account sync did, and why: created, adopted an existing link, or skipped. */
export interface AccountSyncResult {
  outcome: 'created' | 'adopted' | 'skipped';
  reason: string;
  zuoraAccountId?: string;
  zuoraAccountNumber?: string;
  togaiCustomerId?: string;
  togaiAccountId?: string;
}

export interface SyncTogaiInvoiceInput {
  connectionId: string;
  togaiInvoiceId: string;
  trigger: SyncTrigger;
  /** Id of the Togai event, when a webhook started it. */
  eventId?: string;
}
