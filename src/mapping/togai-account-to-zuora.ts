import type { TogaiAccount, TogaiAddress, TogaiCustomer } from '../clients/togai/schemas.js';
import type { ZuoraContactInput, ZuoraCreateAccountRequest } from '../clients/zuora/schemas.js';
import { invalidSourceData, MAPPING_SETTING } from './zuora-account-to-togai.js';

/**
 * Flow 2's business rules: a Togai account (with its customer) becomes a Zuora customer account
 * carrying the Togai ids in its custom fields, which is also how a later run finds it again.
 */

export interface ZuoraAccountDefaults {
  billCycleDay: number;
  paymentTerm: string;
  /** Custom field names on the Zuora Account object. */
  togaiCustomerIdField: string;
  togaiAccountIdField: string;
}

/** The loop guard: an account flow 1 created carries the Zuora id in its settings. */
export function zuoraAccountIdFromSettings(account: TogaiAccount, namespace: string): string | undefined {
  const setting = (account.settings ?? []).find(
    (s) => s.id === MAPPING_SETTING.zuoraAccountId && s.namespace === namespace && s.value.trim() !== '',
  );
  return setting?.value;
}

/** Zuora contacts need a first and a last name; Togai has one display name. */
function splitName(name: string): { firstName: string; lastName: string } {
  const parts = name.trim().split(/\s+/);
  if (parts.length < 2) return { firstName: parts[0] ?? name, lastName: parts[0] ?? name };
  return { firstName: parts.slice(0, -1).join(' '), lastName: parts.at(-1) ?? name };
}

function contactFrom(
  name: string,
  email: string,
  address: TogaiAddress | null | undefined,
): ZuoraContactInput {
  const contact: ZuoraContactInput = { ...splitName(name), workEmail: email };
  const set = (key: keyof ZuoraContactInput, value: string | null | undefined): void => {
    if (value && value.trim()) contact[key] = value.trim();
  };
  set('address1', address?.line1);
  set('address2', address?.line2);
  set('city', address?.city);
  set('state', address?.state);
  set('zipCode', address?.postalCode);
  set('country', address?.country);
  set('workPhone', address?.phoneNumber);
  return contact;
}

export function zuoraAccountFromTogai(
  account: TogaiAccount,
  customer: TogaiCustomer,
  defaults: ZuoraAccountDefaults,
): ZuoraCreateAccountRequest {
  const where = `Togai account ${account.id} (customer ${customer.id})`;
  const currency = (account.invoiceCurrency ?? '').trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) {
    throw invalidSourceData(
      `${where} has no invoice currency: set its invoiceCurrency in Togai (Zuora accounts need one), then retry this workflow`,
    );
  }
  const email = (account.primaryEmail || customer.primaryEmail || '').trim();
  if (!email) {
    throw invalidSourceData(
      `${where} has no primary email: set one on the account or customer in Togai, then retry`,
    );
  }
  const address = account.address ?? customer.address;
  const contact = contactFrom(customer.name || account.name, email, address);
  return {
    name: account.name,
    currency,
    billToContact: contact,
    soldToContact: contact,
    billCycleDay: defaults.billCycleDay,
    paymentTerm: defaults.paymentTerm,
    autoPay: false,
    customFields: {
      [defaults.togaiCustomerIdField]: customer.id,
      [defaults.togaiAccountIdField]: account.id,
    },
  };
}
