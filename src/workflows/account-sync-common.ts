import { upsertSearchAttributes } from '@temporalio/workflow';
import type { AccountActivities } from '../activities/accounts.js';
import type { TogaiSetting } from '../clients/togai/schemas.js';
import type { CustomFields } from '../clients/zuora/schemas.js';
import {
  invalidSourceData,
  MAPPING_SETTING,
  zuoraMappingSettings,
} from '../mapping/zuora-account-to-togai.js';
import { SA } from '../shared/search-attributes.js';

/**
 * What both account workflows share: search attributes and writing the mapping into a Togai
 * account's settings. Activity options live in each flow's contract (src/flows/).
 */

/** The account activities as a workflow sees them (through `proxyActivities`). */
export type AccountActs = Pick<
  AccountActivities,
  'togaiListAccountSettings' | 'togaiInsertSetting' | 'togaiUpdateSetting'
>;

export interface SyncSearchAttributes {
  connectionId?: string;
  flow?: string;
  zuoraAccountId?: string;
  togaiAccountId?: string;
}

/** Sets what is known so far; called again as the other side's id becomes known. */
export function setSearchAttributes(sa: SyncSearchAttributes): void {
  const pairs = [
    sa.connectionId !== undefined && { key: SA.connectionId, value: sa.connectionId },
    sa.flow !== undefined && { key: SA.flow, value: sa.flow },
    sa.zuoraAccountId !== undefined && { key: SA.zuoraAccountId, value: sa.zuoraAccountId },
    sa.togaiAccountId !== undefined && { key: SA.togaiAccountId, value: sa.togaiAccountId },
  ].filter((p) => p !== false);
  if (pairs.length > 0) upsertSearchAttributes(pairs);
}

/** A Zuora custom field as the GET answers it (a top-level key of `basicInfo`), when non-empty. */
export function customFieldText(basicInfo: Record<string, unknown>, field: string): string | undefined {
  const value = basicInfo[field];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

export function togaiLinkFields(
  fields: { togaiCustomerIdField: string; togaiAccountIdField: string },
  togaiCustomerId: string,
  togaiAccountId: string,
): CustomFields {
  // Field names come from the connection, whose schema only admits `…__c` names.
  return {
    [fields.togaiCustomerIdField]: togaiCustomerId,
    [fields.togaiAccountIdField]: togaiAccountId,
  };
}

/**
 * Makes the Togai account's settings hold the Zuora account id and number: insert what is
 * missing, update what differs (an insert refused as existing, by a concurrent run, becomes an
 * update). Refuses to re-point an account already mapped to another Zuora account: that is a
 * conflict for a person to settle. Returns whether anything was written.
 */
export async function ensureTogaiMapping(
  acts: AccountActs,
  connectionId: string,
  togaiAccountId: string,
  namespace: string,
  zuora: { id: string; accountNumber: string },
  current?: TogaiSetting[],
): Promise<boolean> {
  const existing =
    current ?? (await acts.togaiListAccountSettings({ connectionId, accountId: togaiAccountId, namespace }));
  const mine = existing.filter((s) => s.namespace === namespace);
  const linked = mine.find((s) => s.id === MAPPING_SETTING.zuoraAccountId)?.value.trim();
  if (linked && linked !== zuora.id) {
    throw invalidSourceData(
      `Togai account ${togaiAccountId} is already mapped to Zuora account ${linked} (setting ${namespace}.${MAPPING_SETTING.zuoraAccountId}), not to ${zuora.id}: ` +
        `decide which Zuora account it belongs to, correct the setting in Togai or the Togai id fields in Zuora, then retry this workflow`,
    );
  }
  let wrote = false;
  for (const wanted of zuoraMappingSettings(namespace, zuora.id, zuora.accountNumber)) {
    const have = mine.find((s) => s.id === wanted.id);
    if (have?.value === wanted.value) continue;
    const setting: TogaiSetting = { ...wanted, entityType: 'ACCOUNT', entityId: togaiAccountId };
    wrote = true;
    if (!have && (await acts.togaiInsertSetting({ connectionId, setting })).inserted) continue;
    await acts.togaiUpdateSetting({ connectionId, setting });
  }
  return wrote;
}
