import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { AccountActivities } from '../activities/accounts.js';
import {
  accountReasonKind,
  ALL_FLOWS_ON,
  togaiAccountToZuora,
  type AccountSyncResult,
  type SyncTogaiAccountInput,
} from '../flows/index.js';
import { zuoraAccountFromTogai, zuoraAccountIdFromSettings } from '../mapping/togai-account-to-zuora.js';
import { MAPPING_SETTING, togaiAccountIdFor } from '../mapping/zuora-account-to-togai.js';
import { FAILURE } from '../shared/failures.js';
import { zuoraAccountCreateKey } from '../shared/idempotency.js';
import { createOnce } from './create-once.js';
import { ensureTogaiMapping, setSearchAttributes } from './account-sync-common.js';
import { checkInput } from './input.js';
import { recordingOutcome } from './outcome.js';

const acts = proxyActivities<AccountActivities>(togaiAccountToZuora.activityOptions);

/**
 * Flow 2: a Togai account becomes a Zuora customer account that carries the Togai ids in its
 * custom fields, and the Togai account's settings record the Zuora account. An account that
 * already maps to Zuora is left alone: either flow 1 made it from a Zuora account (the loop
 * guard) or an earlier run of this flow already synced it.
 */
export async function syncTogaiAccountToZuora(input: SyncTogaiAccountInput): Promise<AccountSyncResult> {
  return recordingOutcome(() => sync(input), accountReasonKind);
}

async function sync(input: SyncTogaiAccountInput): Promise<AccountSyncResult> {
  checkInput('syncTogaiAccountToZuora', input);
  const { connectionId, togaiAccountId } = input;
  setSearchAttributes({ connectionId, flow: togaiAccountToZuora.workflowType, togaiAccountId });

  const settings = await acts.getAccountSyncSettings({ connectionId });
  // Runs started before flows could be chosen read settings without `flows`: every flow ran.
  if (!(settings.flows ?? ALL_FLOWS_ON).togaiAccountToZuora) {
    return {
      outcome: 'skipped',
      reasonKind: 'flow-off',
      reason: `flow 2 (Togai account → Zuora account) is off for connection ${connectionId}: nothing was synced`,
      togaiAccountId,
    };
  }
  const namespace = settings.settingsNamespace;
  const account = await acts.togaiGetAccount({ connectionId, accountId: togaiAccountId });
  if (!account) {
    throw ApplicationFailure.nonRetryable(
      `Togai account ${togaiAccountId} does not exist (deleted, or the event named another organization's account)`,
      FAILURE.TogaiNotFound,
    );
  }
  const accountSettings = await acts.togaiListAccountSettings({
    connectionId,
    accountId: account.id,
    namespace,
  });
  const mapped = zuoraAccountIdFromSettings({ ...account, settings: accountSettings }, namespace);
  if (mapped) {
    setSearchAttributes({ zuoraAccountId: mapped });
    const number = accountSettings.find(
      (s) => s.id === MAPPING_SETTING.zuoraAccountNumber && s.namespace === namespace,
    );
    const base = {
      zuoraAccountId: mapped,
      ...(number && { zuoraAccountNumber: number.value }),
      togaiCustomerId: account.customerId,
      togaiAccountId: account.id,
    };
    return cameFromZuora(account.id, mapped)
      ? {
          outcome: 'skipped',
          reasonKind: 'loop-guard',
          reason: `loop guard: Togai account ${account.id} was created from Zuora account ${mapped} (settings in namespace ${namespace})`,
          ...base,
        }
      : {
          outcome: 'adopted',
          reasonKind: 'linked',
          reason: `Togai account ${account.id} is already mapped to Zuora account ${mapped} (settings in namespace ${namespace})`,
          ...base,
        };
  }

  const customer = await acts.togaiGetCustomer({ connectionId, customerId: account.customerId });
  if (!customer) {
    throw ApplicationFailure.nonRetryable(
      `Togai customer ${account.customerId} of account ${account.id} does not exist`,
      FAILURE.TogaiNotFound,
    );
  }
  const fields = settings.customFields;
  // The object query outlives Zuora's 24 h idempotency window: it finds what any earlier run made.
  const findByTogaiId = () =>
    acts.zuoraFindAccountsByField({ connectionId, field: fields.accountTogaiAccountId, value: account.id });
  const found = await findByTogaiId();
  let zuora = found[0];
  let outcome: AccountSyncResult['outcome'];
  let reason: string;
  let changed: Pick<AccountSyncResult, 'fitted' | 'unmapped'> = {};
  if (zuora) {
    outcome = 'adopted';
    reason =
      `Zuora account ${zuora.accountNumber} (${zuora.id}) already carries Togai account ${account.id} in ${fields.accountTogaiAccountId}` +
      (found.length > 1 ? ` (${found.length} accounts do; the first was taken)` : '');
  } else {
    const { body, fitted, unmapped } = zuoraAccountFromTogai(account, customer, {
      billCycleDay: settings.defaultBillCycleDay,
      paymentTerm: settings.defaultPaymentTerm,
      togaiCustomerIdField: fields.accountTogaiCustomerId,
      togaiAccountIdField: fields.accountTogaiAccountId,
    });
    changed = { ...(fitted.length > 0 && { fitted }), ...(unmapped.length > 0 && { unmapped }) };
    zuora = await createOnce({
      create: (generation) =>
        acts.zuoraCreateAccount({
          connectionId,
          body,
          idempotencyKey: zuoraAccountCreateKey(connectionId, account.id, body, generation),
        }),
      lookUp: async () => (await findByTogaiId())[0],
    });
    outcome = 'created';
    reason = `created Zuora account ${zuora.accountNumber} (${zuora.id}) for Togai account ${account.id}`;
  }
  setSearchAttributes({ zuoraAccountId: zuora.id });
  await ensureTogaiMapping(acts, connectionId, account.id, namespace, zuora, accountSettings);
  return {
    outcome,
    reasonKind: outcome === 'created' ? 'new' : 'found',
    reason,
    zuoraAccountId: zuora.id,
    zuoraAccountNumber: zuora.accountNumber,
    togaiCustomerId: customer.id,
    togaiAccountId: account.id,
    ...changed,
  };
}

/** Flow 1 names the accounts it creates after their Zuora account; anything else began in Togai. */
function cameFromZuora(togaiAccountId: string, zuoraAccountId: string): boolean {
  try {
    return togaiAccountIdFor(zuoraAccountId) === togaiAccountId;
  } catch {
    return false;
  }
}
