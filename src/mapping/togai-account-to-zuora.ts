import type { TogaiAccount, TogaiAddress, TogaiCustomer } from '../clients/togai/schemas.js';
import type { ZuoraContactInput, ZuoraCreateAccountRequest } from '../clients/zuora/schemas.js';
import { countryAndState, type Unmapped } from './address.js';
import { fitter, type FittedField } from './fit.js';
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
  return linkedZuoraAccountId(account.settings ?? [], namespace);
}

/** The Zuora account id a Togai account's settings name in the connection's namespace. */
export function linkedZuoraAccountId(
  settings: readonly { id: string; namespace: string; value: string }[],
  namespace: string,
): string | undefined {
  const setting = settings.find(
    (s) => s.id === MAPPING_SETTING.zuoraAccountId && s.namespace === namespace && s.value.trim() !== '',
  );
  return setting?.value;
}

/**
 * Zuora's limits on what flow 2 sends (zuora-sdk 3.21.0 CreateAccountRequest and
 * CreateAccountContact, as vendored in packages/simulators/contracts/zuora/zuora-sdk-constraints.yaml).
 */
export const ZUORA_ACCOUNT_LIMITS = {
  name: 255,
  firstName: 100,
  lastName: 100,
  address1: 255,
  address2: 255,
  city: 100,
  state: 100,
  zipCode: 20,
  workEmail: 80,
  workPhone: 40,
} as const;

/** Zuora contacts need a first and a last name; Togai has one display name. */
function splitName(name: string): { firstName: string; lastName: string } {
  const parts = name.trim().split(/\s+/);
  if (parts.length < 2) return { firstName: parts[0] ?? name, lastName: parts[0] ?? name };
  return { firstName: parts.slice(0, -1).join(' '), lastName: parts.at(-1) ?? name };
}

/** Flow 2's request, and what had to change for Zuora to take it. */
export interface ZuoraAccountPlan {
  body: ZuoraCreateAccountRequest;
  /** Texts cut to Zuora's limits (lengths only). */
  fitted: FittedField[];
  /** Values Zuora would refuse, left out. */
  unmapped: Unmapped[];
}

function contactFrom(
  name: string,
  email: string,
  address: TogaiAddress | null | undefined,
  fit: (field: string, value: string, max: number) => string,
  unmapped: Unmapped[],
): ZuoraContactInput {
  const names = splitName(name);
  const contact: ZuoraContactInput = {
    firstName: fit('billToContact.firstName', names.firstName, ZUORA_ACCOUNT_LIMITS.firstName),
    lastName: fit('billToContact.lastName', names.lastName, ZUORA_ACCOUNT_LIMITS.lastName),
  };
  // An address cut short still reaches the post; an email cut short reaches nobody.
  if (email.length <= ZUORA_ACCOUNT_LIMITS.workEmail) contact.workEmail = email;
  else
    unmapped.push({
      field: 'billToContact.workEmail',
      reason: `longer than Zuora's ${ZUORA_ACCOUNT_LIMITS.workEmail} characters: left out (an email cannot be shortened)`,
    });
  const set = (
    key: keyof typeof ZUORA_ACCOUNT_LIMITS & keyof ZuoraContactInput,
    value: string | null | undefined,
  ): void => {
    if (value && value.trim())
      contact[key] = fit(`billToContact.${key}`, value.trim(), ZUORA_ACCOUNT_LIMITS[key]);
  };
  set('address1', address?.line1);
  set('address2', address?.line2);
  set('city', address?.city);
  set('zipCode', address?.postalCode);
  set('workPhone', address?.phoneNumber);
  const place = countryAndState(address?.country, address?.state, 'billToContact', unmapped);
  if (place.country !== undefined) contact.country = place.country;
  set('state', place.state);
  return contact;
}

/**
 * A Togai account (with its customer) as the body of Zuora's `POST /v1/accounts`: names and
 * address fitted to Zuora's limits at grapheme boundaries, the country as an ISO code, a US or
 * Canadian state as its 2-letter code; what Zuora would refuse is left out and reported.
 * Throws InvalidSourceData (non-retryable) without an invoice currency or an email.
 */
export function zuoraAccountFromTogai(
  account: TogaiAccount,
  customer: TogaiCustomer,
  defaults: ZuoraAccountDefaults,
): ZuoraAccountPlan {
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
  const { fit, fitted } = fitter();
  const unmapped: Unmapped[] = [];
  const address = account.address ?? customer.address;
  const contact = contactFrom(customer.name || account.name, email, address, fit, unmapped);
  return {
    body: {
      name: fit('name', account.name, ZUORA_ACCOUNT_LIMITS.name),
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
    },
    fitted,
    unmapped,
  };
}
