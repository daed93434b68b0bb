import { ApplicationFailure } from '@temporalio/common';
import { FAILURE } from '../shared/failures.js';
import type { ZuoraAccount, ZuoraContact } from '../clients/zuora/schemas.js';
import { countryAndState, type Unmapped } from './address.js';
import { fitter, type FittedField } from './fit.js';
import type {
  TogaiAddressInput,
  TogaiCreateCustomerRequest,
  TogaiEntitySetting,
} from '../clients/togai/schemas.js';

/**
 * Flow 1's business rules: a Zuora account becomes a Togai customer with its first account and
 * the ID mapping inline, in one request. Pure, so the workflow can run it and the request shows
 * in the workflow history (the Web UI) before it is sent.
 */

// Togai ids are caller-chosen, at most 50 characters. Zuora ids are 32 hex characters.
const TOGAI_ID_MAX = 50;
const TOGAI_NAME_MIN = 3;

export function invalidSourceData(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, FAILURE.InvalidSourceData);
}

function derivedId(prefix: string, zuoraAccountId: string): string {
  const id = `${prefix}${zuoraAccountId}`;
  if (id.length > TOGAI_ID_MAX || !/^[A-Za-z0-9_-]+$/.test(zuoraAccountId)) {
    throw invalidSourceData(
      `Zuora account id "${zuoraAccountId}" cannot be turned into a Togai id (${TOGAI_ID_MAX} characters, letters, digits, - and _)`,
    );
  }
  return id;
}

/** The Togai customer id a Zuora account maps to: stable, so a re-run finds what it created. */
export function togaiCustomerIdFor(zuoraAccountId: string): string {
  return derivedId('zuora-', zuoraAccountId);
}

/** The Togai account id a Zuora account maps to. */
export function togaiAccountIdFor(zuoraAccountId: string): string {
  return derivedId('zuora-acct-', zuoraAccountId);
}

/** Setting ids in the connection's namespace: what flow 2 reads as "this came from Zuora". */
export const MAPPING_SETTING = {
  zuoraAccountId: 'zuoraAccountId',
  zuoraAccountNumber: 'zuoraAccountNumber',
} as const;

export function zuoraMappingSettings(
  namespace: string,
  zuoraAccountId: string,
  zuoraAccountNumber: string,
): TogaiEntitySetting[] {
  return [
    {
      id: MAPPING_SETTING.zuoraAccountId,
      name: 'Zuora account ID',
      namespace,
      value: zuoraAccountId,
      dataType: 'STRING',
    },
    {
      id: MAPPING_SETTING.zuoraAccountNumber,
      name: 'Zuora account number',
      namespace,
      value: zuoraAccountNumber,
      dataType: 'STRING',
    },
  ];
}

/** Togai's limits on what flow 1 sends (Togai's spec: CreateCustomerRequest, CreateAccountRequest). */
export const TOGAI_CUSTOMER_LIMITS = { name: 255, primaryEmail: 320 } as const;

function addressOf(contact: ZuoraContact, unmapped: Unmapped[]): TogaiAddressInput {
  const address: TogaiAddressInput = {};
  const set = (key: keyof TogaiAddressInput, value: string | null | undefined): void => {
    if (value && value.trim()) address[key] = value.trim();
  };
  set('line1', contact.address1);
  set('line2', contact.address2);
  set('city', contact.city);
  set('postalCode', contact.zipCode);
  set('phoneNumber', contact.workPhone);
  // Zuora answers with country names ("United States"); Togai takes ISO alpha-2 codes only.
  const place = countryAndState(contact.country, contact.state, 'address', unmapped);
  set('country', place.country);
  set('state', place.state);
  return address;
}

/** Togai names need 3+ characters; a shorter Zuora name gets its account number appended. */
function togaiName(name: string, accountNumber: string): string {
  const trimmed = name.trim();
  return trimmed.length >= TOGAI_NAME_MIN ? trimmed : `${trimmed} (${accountNumber})`.trim();
}

/** Flow 1's request, and what had to change for Togai to take it. */
export interface TogaiCustomerPlan {
  body: TogaiCreateCustomerRequest;
  fitted: FittedField[];
  unmapped: Unmapped[];
}

/**
 * A Zuora account as the body of Togai's `POST /customers` with its first account and the id
 * mapping inline: the bill-to contact's address with the country as an ISO 3166-1 alpha-2 code
 * (what Togai's spec asks), names fitted to Togai's 255 characters. Throws InvalidSourceData
 * (non-retryable) without a bill-to contact, an email or a currency.
 */
export function togaiCustomerFromZuoraAccount(account: ZuoraAccount, namespace: string): TogaiCustomerPlan {
  const { id, accountNumber, name } = account.basicInfo;
  const where = `Zuora account ${accountNumber} (${id})`;
  const billTo = account.billToContact;
  if (!billTo) {
    throw invalidSourceData(`${where} has no bill-to contact: add one in Zuora, then retry this workflow`);
  }
  const email = (billTo.workEmail || billTo.personalEmail || '').trim();
  if (!email) {
    throw invalidSourceData(
      `${where} has no bill-to contact email: set the work or personal email of its bill-to contact in Zuora, then retry this workflow`,
    );
  }
  const currency = (account.billingAndPayment?.currency ?? '').trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) {
    throw invalidSourceData(
      `${where} has no valid currency ("${currency}"): Togai invoices need an ISO 4217 code; fix it in Zuora, then retry this workflow`,
    );
  }
  const { fit, fitted } = fitter();
  const unmapped: Unmapped[] = [];
  const settings = zuoraMappingSettings(namespace, id, accountNumber);
  const displayName = fit('name', togaiName(name, accountNumber), TOGAI_CUSTOMER_LIMITS.name);
  const address = addressOf(billTo, unmapped);
  return {
    body: {
      id: togaiCustomerIdFor(id),
      name: displayName,
      primaryEmail: email,
      address,
      settings,
      account: {
        id: togaiAccountIdFor(id),
        name: displayName,
        invoiceCurrency: currency,
        primaryEmail: email,
        address,
        settings,
      },
    },
    fitted,
    unmapped,
  };
}
