import { BusinessError, callVendor, NotFoundError, toApplicationFailure } from '../clients/errors.js';
import { togaiSettingFullId } from '../clients/togai/client.js';
import type {
  TogaiAccount,
  TogaiCreateCustomerRequest,
  TogaiCustomer,
  TogaiSetting,
} from '../clients/togai/schemas.js';
import type {
  ZuoraAccount,
  ZuoraCreateAccountRequest,
  ZuoraUpdateAccountRequest,
} from '../clients/zuora/schemas.js';
import { syncSettingsOf, type SyncSettings } from '../connections/settings.js';
import type { ClientSource } from './connection-clients.js';
import { allPages } from './paging.js';

/**
 * The account flows' activities: one vendor call each, so every call is retried on its own and
 * shows in the workflow history. Decisions (adopt or create, what to write) stay in the workflows.
 */

/** The non-secret settings the account workflows decide with (from the one settings shape). */
export type AccountSyncSettings = Pick<
  SyncSettings,
  'flows' | 'customFields' | 'settingsNamespace' | 'defaultBillCycleDay' | 'defaultPaymentTerm'
>;

/** Every activity takes one input object: histories name each field, and fields can be added. */
export interface ConnectionInput {
  connectionId: string;
}
export interface AccountKeyInput extends ConnectionInput {
  /** Zuora account id or number. */
  accountKey: string;
}
/** Zuora objects whose (filterable) custom field `field` equals `value`. */
export interface FieldLookupInput extends ConnectionInput {
  field: string;
  value: string;
}
export interface CreateInput<B> extends ConnectionInput {
  body: B;
  /** Deterministic: the same create always sends the same key (shared/idempotency.ts). */
  idempotencyKey: string;
}

export interface ZuoraAccountRef {
  id: string;
  accountNumber: string;
}

/** A read that answers "not there" with undefined instead of a NotFound failure. */
async function orNull<T>(fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw toApplicationFailure(err);
  }
}

/** A create whose 409 means "someone (an earlier or concurrent run) already created it". */
async function createOrExists(fn: () => Promise<unknown>): Promise<{ created: boolean }> {
  try {
    await fn();
    return { created: true };
  } catch (err) {
    if (err instanceof BusinessError && err.status === 409) return { created: false };
    throw toApplicationFailure(err);
  }
}

export function createAccountActivities(source: ClientSource) {
  const clients = (connectionId: string) => source.forConnection(connectionId);
  return {
    async getAccountSyncSettings({ connectionId }: ConnectionInput): Promise<AccountSyncSettings> {
      const { settings } = await clients(connectionId);
      const { flows, customFields, settingsNamespace, defaultBillCycleDay, defaultPaymentTerm } =
        syncSettingsOf(settings);
      return { flows, customFields, settingsNamespace, defaultBillCycleDay, defaultPaymentTerm };
    },

    async zuoraGetAccount({ connectionId, accountKey }: AccountKeyInput): Promise<ZuoraAccount> {
      const { zuora } = await clients(connectionId);
      return callVendor(() => zuora.getAccount(accountKey));
    },

    /** Accounts whose custom field equals `value` (the field must be filterable in Zuora). */
    async zuoraFindAccountsByField({
      connectionId,
      field,
      value,
    }: FieldLookupInput): Promise<ZuoraAccountRef[]> {
      const { zuora } = await clients(connectionId);
      const page = await callVendor(() => zuora.queryAccounts({ filters: [{ field, value }], pageSize: 10 }));
      return page.data.map((a) => ({ id: a.id, accountNumber: a.accountNumber }));
    },

    async zuoraCreateAccount({
      connectionId,
      body,
      idempotencyKey,
    }: CreateInput<ZuoraCreateAccountRequest>): Promise<ZuoraAccountRef> {
      const { zuora } = await clients(connectionId);
      const res = await callVendor(() => zuora.createAccount(body, idempotencyKey));
      return { id: res.accountId, accountNumber: res.accountNumber };
    },

    async zuoraUpdateAccount({
      connectionId,
      accountKey,
      body,
    }: AccountKeyInput & { body: ZuoraUpdateAccountRequest }): Promise<void> {
      const { zuora } = await clients(connectionId);
      await callVendor(() => zuora.updateAccount(accountKey, body));
    },

    async togaiGetCustomer({
      connectionId,
      customerId,
    }: ConnectionInput & { customerId: string }): Promise<TogaiCustomer | null> {
      const { togai } = await clients(connectionId);
      return orNull(() => togai.getCustomer(customerId));
    },

    async togaiGetAccount({
      connectionId,
      accountId,
    }: ConnectionInput & { accountId: string }): Promise<TogaiAccount | null> {
      const { togai } = await clients(connectionId);
      return orNull(() => togai.getAccount(accountId));
    },

    /** The customer with its account and settings inline; `created: false` on Togai's 409. */
    async togaiCreateCustomer({
      connectionId,
      body,
    }: ConnectionInput & { body: TogaiCreateCustomerRequest }): Promise<{ created: boolean }> {
      const { togai } = await clients(connectionId);
      return createOrExists(() => togai.createCustomer(body));
    },

    /** The account's settings in one namespace, every page. */
    async togaiListAccountSettings({
      connectionId,
      accountId,
      namespace,
    }: ConnectionInput & { accountId: string; namespace: string }): Promise<TogaiSetting[]> {
      const { togai } = await clients(connectionId);
      return allPages((nextToken) =>
        togai.listSettings({
          entityType: 'ACCOUNT',
          entityId: accountId,
          namespace,
          ...(nextToken !== undefined && { nextToken }),
        }),
      );
    },

    /** `inserted: false` when the setting already exists (Togai's 409): the caller updates it. */
    async togaiInsertSetting({
      connectionId,
      setting,
    }: ConnectionInput & { setting: TogaiSetting }): Promise<{ inserted: boolean }> {
      const { togai } = await clients(connectionId);
      const { created } = await createOrExists(() => togai.insertSetting(setting));
      return { inserted: created };
    },

    async togaiUpdateSetting({
      connectionId,
      setting,
    }: ConnectionInput & { setting: TogaiSetting }): Promise<void> {
      const { togai } = await clients(connectionId);
      await callVendor(() =>
        togai.updateSetting(togaiSettingFullId(setting), {
          value: setting.value,
          name: setting.name,
          dataType: setting.dataType,
        }),
      );
    },
  };
}

export type AccountActivities = ReturnType<typeof createAccountActivities>;
