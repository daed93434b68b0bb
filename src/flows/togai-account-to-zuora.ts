import { FAILURE, type FailureType } from '../shared/failures.js';
import {
  VENDOR_CALL_FAILURES,
  vendorActivityOptions,
  type AccountSyncResult,
  type SyncTrigger,
} from './common.js';

/**
 * Flow 2's contract (Togai account → Zuora customer account, the link stored in the Togai
 * account's settings): workflow type, ID, input, result, activity options and failures. Imported
 * by the workflow, the gateway (Togai `account.created`), the invoice flow (which runs it as a
 * child) and the tests.
 */

export type { AccountSyncResult };

export interface SyncTogaiAccountInput {
  connectionId: string;
  togaiAccountId: string;
  trigger: SyncTrigger;
  /** Id of the Togai event, when a webhook started it. */
  eventId?: string;
}

export const togaiAccountToZuora = {
  workflowType: 'syncTogaiAccountToZuora',
  /** One ID per Togai account: webhooks, the invoice flow's child start and backfills meet at it. */
  workflowId: (connectionId: string, togaiAccountId: string): string =>
    `togai-account:${connectionId}:${togaiAccountId}`,
  activityOptions: vendorActivityOptions(),
  failures: [
    FAILURE.InvalidWorkflowInput,
    FAILURE.InvalidSourceData,
    ...VENDOR_CALL_FAILURES,
  ] as readonly FailureType[],
} as const;
