import {
  ApplicationFailure,
  executeChild,
  ParentClosePolicy,
  patched,
  proxyActivities,
  sleep,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities/index.js';
import type { TogaiSetting } from '../clients/togai/schemas.js';
import {
  togaiAccountToZuora,
  togaiInvoiceToZuora,
  type AccountSyncResult,
  type SyncTogaiAccountInput,
  type Flows,
} from '../flows/index.js';
import { linkedZuoraAccountId } from '../mapping/togai-account-to-zuora.js';
import { FAILURE } from '../shared/failures.js';
import type { syncTogaiAccountToZuora } from './sync-togai-account-to-zuora.js';
import { PATCH } from './patches.js';

const acts = proxyActivities<Activities>(togaiInvoiceToZuora.activityOptions);

/** The Zuora account an invoice's Togai account is linked to, and that account's settings. */
export interface LinkedAccount {
  zuoraAccountId: string;
  /** The Togai account's settings in the connection's namespace (usage routing reads them). */
  settings: TogaiSetting[];
}

/**
 * The Zuora account the Togai account is linked to. Unlinked, flow 2 runs as a child under its
 * own deterministic id, so a concurrent account sync (webhook, another invoice) is joined rather
 * than duplicated: if that id is already running, we wait for its link to appear. With flow 2 off
 * for the connection nothing may create a Zuora account: the sync fails, saying how to link it.
 */
export async function ensureAccountLinked(
  connectionId: string,
  togaiAccountId: string,
  namespace: string,
  flows: Pick<Flows, 'togaiAccountToZuora'>,
): Promise<LinkedAccount> {
  const first = await readLink(connectionId, togaiAccountId, namespace);
  if (first.zuoraAccountId) return { zuoraAccountId: first.zuoraAccountId, settings: first.settings };
  if (!flows.togaiAccountToZuora) {
    throw ApplicationFailure.nonRetryable(
      `Togai account ${togaiAccountId} is not linked to a Zuora account, and flow 2 (Togai account → Zuora account) ` +
        `is off for connection ${connectionId}: link it (setting ${namespace}.zuoraAccountId on the Togai account, ` +
        'or flow 1 from the Zuora side) or switch flow 2 on, then retry this workflow',
      FAILURE.AccountNotLinked,
    );
  }
  try {
    const child: AccountSyncResult = await executeChild<typeof syncTogaiAccountToZuora>(
      togaiAccountToZuora.workflowType,
      {
        workflowId: togaiAccountToZuora.workflowId(connectionId, togaiAccountId),
        args: [{ connectionId, togaiAccountId, trigger: 'child' } satisfies SyncTogaiAccountInput],
        // The account sync is worth finishing even if this invoice sync is terminated.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      },
    );
    if (child.zuoraAccountId) return { zuoraAccountId: child.zuoraAccountId, settings: first.settings };
    throw ApplicationFailure.nonRetryable(
      `Togai account ${togaiAccountId} could not be linked to Zuora: ${child.reason}`,
      FAILURE.AccountNotLinked,
    );
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  // The running account sync is bounded by its activities' 30-minute schedule-to-close; poll a
  // little longer than that for the link it writes.
  for (let waited = 0, delay = 1; waited < 35 * 60; waited += delay, delay = Math.min(delay * 2, 60)) {
    await sleep(delay * 1000);
    const link = await readLink(connectionId, togaiAccountId, namespace);
    if (link.zuoraAccountId) return { zuoraAccountId: link.zuoraAccountId, settings: link.settings };
  }
  throw ApplicationFailure.nonRetryable(
    `Togai account ${togaiAccountId} is still not linked to Zuora after the concurrent account sync ` +
      `(${togaiAccountToZuora.workflowId(connectionId, togaiAccountId)}): see that workflow, then retry this one`,
    FAILURE.AccountNotLinked,
  );
}

async function readLink(
  connectionId: string,
  togaiAccountId: string,
  namespace: string,
): Promise<{ zuoraAccountId: string | undefined; settings: TogaiSetting[] }> {
  // The invoice names its account, so Togai has it: its settings say everything the link needs
  // (one Togai call less per invoice; a deleted account still fails, in flow 2's child).
  if (!patched(PATCH.fewerCallsPerInvoice)) {
    const account = await acts.togaiGetAccount({ connectionId, accountId: togaiAccountId });
    if (!account) {
      throw ApplicationFailure.nonRetryable(
        `Togai account ${togaiAccountId} does not exist`,
        FAILURE.TogaiNotFound,
      );
    }
  }
  const settings = await acts.togaiListAccountSettings({
    connectionId,
    accountId: togaiAccountId,
    namespace,
  });
  return { zuoraAccountId: linkedZuoraAccountId(settings, namespace), settings };
}
