import { proxyActivities } from '@temporalio/workflow';
import type { AccountActivities, AccountSyncSettings } from '../activities/accounts.js';
import type { ZuoraAccount } from '../clients/zuora/schemas.js';
import { ALL_FLOWS_ON } from '../flows/index.js';
import {
  accountReasonKind,
  zuoraAccountToTogai,
  type AccountSyncResult,
  type OutcomeReasonKind,
  type SyncZuoraAccountInput,
} from '../flows/index.js';
import {
  invalidSourceData,
  togaiAccountIdFor,
  togaiCustomerFromZuoraAccount,
  togaiCustomerIdFor,
} from '../mapping/zuora-account-to-togai.js';
import {
  customFieldText,
  ensureTogaiMapping,
  setSearchAttributes,
  togaiLinkFields,
} from './account-sync-common.js';
import { checkInput } from './input.js';
import { recordingOutcome } from './outcome.js';

const acts = proxyActivities<AccountActivities>(zuoraAccountToTogai.activityOptions);

/**
 * Flow 1: a Zuora account becomes a Togai customer with its account, and each side records the
 * other's ids (Togai: account settings; Zuora: custom fields). Every path that finds the Togai
 * side already there adopts it, so a replayed callout, a re-run or flow 2's own Zuora account
 * never makes a second customer.
 */
export async function syncZuoraAccountToTogai(input: SyncZuoraAccountInput): Promise<AccountSyncResult> {
  return recordingOutcome(() => sync(input), accountReasonKind);
}

async function sync(input: SyncZuoraAccountInput): Promise<AccountSyncResult> {
  checkInput('syncZuoraAccountToTogai', input);
  const { connectionId, zuoraAccountId } = input;
  setSearchAttributes({ connectionId, flow: zuoraAccountToTogai.workflowType, zuoraAccountId });

  const settings = await acts.getAccountSyncSettings({ connectionId });
  // Runs started before flows could be chosen read settings without `flows`: every flow ran.
  if (!(settings.flows ?? ALL_FLOWS_ON).zuoraAccountToTogai) {
    return {
      outcome: 'skipped',
      reasonKind: 'flow-off',
      reason: `flow 1 (Zuora account → Togai customer) is off for connection ${connectionId}: nothing was synced`,
      zuoraAccountId,
    };
  }
  const account = await acts.zuoraGetAccount({ connectionId, accountKey: zuoraAccountId });
  const zuora = { id: account.basicInfo.id, accountNumber: account.basicInfo.accountNumber };
  const where = `Zuora account ${zuora.accountNumber} (${zuora.id})`;
  const fields = settings.customFields;
  const linkedAccountId = customFieldText(account.basicInfo, fields.accountTogaiAccountId);
  const linkedCustomerId = customFieldText(account.basicInfo, fields.accountTogaiCustomerId);

  const togai = linkedAccountId
    ? await adoptLinked(connectionId, where, linkedAccountId, fields.accountTogaiAccountId)
    : await findOrCreate(connectionId, account, settings, where);

  // The settings travelled inline with a create; anything adopted may predate or lack them.
  if (togai.outcome === 'adopted') {
    await ensureTogaiMapping(acts, connectionId, togai.accountId, settings.settingsNamespace, zuora);
  }
  if (linkedAccountId !== togai.accountId || linkedCustomerId !== togai.customerId) {
    await acts.zuoraUpdateAccount({
      connectionId,
      accountKey: zuora.id,
      body: {
        customFields: togaiLinkFields(
          {
            togaiCustomerIdField: fields.accountTogaiCustomerId,
            togaiAccountIdField: fields.accountTogaiAccountId,
          },
          togai.customerId,
          togai.accountId,
        ),
      },
    });
  }
  return {
    outcome: togai.outcome,
    reason: togai.reason,
    reasonKind: togai.reasonKind,
    zuoraAccountId: zuora.id,
    zuoraAccountNumber: zuora.accountNumber,
    togaiCustomerId: togai.customerId,
    togaiAccountId: togai.accountId,
    ...(togai.fitted && { fitted: togai.fitted }),
    ...(togai.unmapped && { unmapped: togai.unmapped }),
  };
}

interface TogaiSide extends Pick<AccountSyncResult, 'fitted' | 'unmapped'> {
  outcome: 'created' | 'adopted';
  reasonKind: OutcomeReasonKind;
  reason: string;
  customerId: string;
  accountId: string;
}

/** The Zuora account names its Togai account (flow 2 made it, or an earlier run linked it). */
async function adoptLinked(
  connectionId: string,
  where: string,
  togaiAccountId: string,
  field: string,
): Promise<TogaiSide> {
  setSearchAttributes({ togaiAccountId });
  const existing = await acts.togaiGetAccount({ connectionId, accountId: togaiAccountId });
  if (!existing) {
    throw invalidSourceData(
      `${where} names Togai account ${togaiAccountId} in ${field}, but Togai has no such account: ` +
        `correct or clear ${field} in Zuora, then retry this workflow`,
    );
  }
  return {
    outcome: 'adopted',
    reasonKind: 'linked',
    reason: `${where} already links Togai account ${togaiAccountId} (${field})`,
    customerId: existing.customerId,
    accountId: existing.id,
  };
}

/** No link on the Zuora side: the deterministic ids say where the Togai customer is, or will be. */
async function findOrCreate(
  connectionId: string,
  account: ZuoraAccount,
  settings: AccountSyncSettings,
  where: string,
): Promise<TogaiSide> {
  const customerId = togaiCustomerIdFor(account.basicInfo.id);
  const accountId = togaiAccountIdFor(account.basicInfo.id);
  // Known before anything is created, so even a sync that fails on bad data is findable by it.
  setSearchAttributes({ togaiAccountId: accountId });
  const adopt = async (reason: string): Promise<TogaiSide> => {
    const existing = await acts.togaiGetAccount({ connectionId, accountId });
    if (!existing || existing.customerId !== customerId) {
      throw invalidSourceData(
        `Togai customer ${customerId} exists without its account ${accountId} for ${where}: ` +
          `create account ${accountId} under customer ${customerId} in Togai (or delete the customer), then retry this workflow`,
      );
    }
    return { outcome: 'adopted', reasonKind: 'found', reason, customerId, accountId };
  };

  if (await acts.togaiGetCustomer({ connectionId, customerId })) {
    return adopt(`Togai customer ${customerId} for ${where} already exists (an earlier run created it)`);
  }
  // Mapping runs here, in the workflow: bad source data fails the workflow at once with its fix.
  const {
    body: request,
    fitted,
    unmapped,
  } = togaiCustomerFromZuoraAccount(account, settings.settingsNamespace);
  const { created } = await acts.togaiCreateCustomer({ connectionId, body: request });
  if (!created) {
    return adopt(
      `Togai answered that customer ${customerId} already exists (created by an earlier attempt whose answer was lost, or by a concurrent run)`,
    );
  }
  return {
    outcome: 'created',
    reasonKind: 'new',
    reason: `created Togai customer ${customerId} with account ${accountId} and its Zuora mapping settings`,
    customerId,
    accountId,
    ...(fitted.length > 0 && { fitted }),
    ...(unmapped.length > 0 && { unmapped }),
  };
}
