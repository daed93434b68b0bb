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
import type { ZuoraCustomFields } from '../connections/model.js';
import type { ClientSource } from './connection-clients.js';

/**
 * The account flows' activities: one vendor call each, so every call is retried on its own and
 * shows in the workflow history. Decisions (adopt or create, what to write) stay in the workflows.
 */

/** The non-secret settings the account workflows decide with. */
export interface AccountSyncSettings {
  customFields: ZuoraCustomFields;
  settingsNamespace: string;
  defaultBillCycleDay: number;
  defaultPaymentTerm: string;
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
    async getAccountSyncSettings(connectionId: string): Promise<AccountSyncSettings> {
      const { settings } = await clients(connectionId);
      return {
        customFields: settings.zuora.customFields,
        settingsNamespace: settings.togai.settingsNamespace,
        defaultBillCycleDay: settings.zuora.defaultBillCycleDay,
        defaultPaymentTerm: settings.zuora.defaultPaymentTerm,
      };
    },

    async zuoraGetAccount(connectionId: string, accountKey: string): Promise<ZuoraAccount> {
      const { zuora } = await clients(connectionId);
      return callVendor(() => zuora.getAccount(accountKey));
    },

    /** Accounts whose custom field equals `value` (the field must be filterable in Zuora). */
    async zuoraFindAccountsByField(
      connectionId: string,
      field: string,
      value: string,
    ): Promise<ZuoraAccountRef[]> {
      const { zuora } = await clients(connectionId);
      const page = await callVendor(() => zuora.queryAccounts({ filters: [{ field, value }], pageSize: 10 }));
      return page.data.map((a) => ({ id: a.id, accountNumber: a.accountNumber }));
    },

    async zuoraCreateAccount(
      connectionId: string,
      body: ZuoraCreateAccountRequest,
      idempotencyKey: string,
    ): Promise<ZuoraAccountRef> {
      const { zuora } = await clients(connectionId);
      const res = await callVendor(() => zuora.createAccount(body, idempotencyKey));
      return { id: res.accountId, accountNumber: res.accountNumber };
    },

    async zuoraUpdateAccount(
      connectionId: string,
      accountKey: string,
      body: ZuoraUpdateAccountRequest,
    ): Promise<void> {
      const { zuora } = await clients(connectionId);
      await callVendor(() => zuora.updateAccount(accountKey, body));
    },

    async togaiGetCustomer(connectionId: string, customerId: string): Promise<TogaiCustomer | null> {
      const { togai } = await clients(connectionId);
      return orNull(() => togai.getCustomer(customerId));
    },

    async togaiGetAccount(connectionId: string, accountId: string): Promise<TogaiAccount | null> {
      const { togai } = await clients(connectionId);
      return orNull(() => togai.getAccount(accountId));
    },

    /** The customer with its account and settings inline; `created: false` on Togai's 409. */
    async togaiCreateCustomer(
      connectionId: string,
      body: TogaiCreateCustomerRequest,
    ): Promise<{ created: boolean }> {
      const { togai } = await clients(connectionId);
      return createOrExists(() => togai.createCustomer(body));
    },

    /** The account's settings in one namespace, every page. */
    async togaiListAccountSettings(
      connectionId: string,
      accountId: string,
      namespace: string,
    ): Promise<TogaiSetting[]> {
      const { togai } = await clients(connectionId);
      const all: TogaiSetting[] = [];
      const seen = new Set<string>();
      let nextToken: string | undefined;
      do {
        const page = await callVendor(() =>
          togai.listSettings({
            entityType: 'ACCOUNT',
            entityId: accountId,
            namespace,
            ...(nextToken !== undefined && { nextToken }),
          }),
        );
        all.push(...page.data);
        nextToken = page.data.length > 0 ? page.nextToken : undefined;
        if (nextToken !== undefined && seen.has(nextToken)) break;
        if (nextToken !== undefined) seen.add(nextToken);
      } while (nextToken !== undefined);
      return all;
    },

    /** `inserted: false` when the setting already exists (Togai's 409): the caller updates it. */
    async togaiInsertSetting(connectionId: string, setting: TogaiSetting): Promise<{ inserted: boolean }> {
      const { togai } = await clients(connectionId);
      const { created } = await createOrExists(() => togai.insertSetting(setting));
      return { inserted: created };
    },

    async togaiUpdateSetting(connectionId: string, setting: TogaiSetting): Promise<void> {
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
