import { FAILURE, type FailureType } from '../shared/failures.js';
import {
  VENDOR_CALL_FAILURES,
  vendorActivityOptions,
  type AccountSyncResult,
  type SyncTrigger,
} from './common.js';

/**
 * Flow 1's contract (Zuora account → Togai customer with its account, ids written on both sides):
 * workflow type, ID, input, result, activity options and the failures it ends with. Imported by
 * the workflow, the gateway (Zuora callouts) and the tests. The input carries ids only, never
 * secrets: activities resolve the connection's credentials themselves.
 */

export type { AccountSyncResult };

export interface SyncZuoraAccountInput {
  connectionId: string;
  zuoraAccountId: string;
  trigger: SyncTrigger;
  /** Zuora-Notification-Id of the callout, when a callout started it. */
  notificationId?: string;
}

export const zuoraAccountToTogai = {
  workflowType: 'syncZuoraAccountToTogai',
  /** One ID per Zuora account: redeliveries, retries and backfills meet at it. */
  workflowId: (connectionId: string, zuoraAccountId: string): string =>
    `zuora-account:${connectionId}:${zuoraAccountId}`,
  /** One vendor call per activity, retried from 1 s doubling to 1 min, for 30 min. */
  activityOptions: vendorActivityOptions(),
  failures: [
    FAILURE.InvalidWorkflowInput,
    FAILURE.InvalidSourceData,
    ...VENDOR_CALL_FAILURES,
  ] as readonly FailureType[],
} as const;
