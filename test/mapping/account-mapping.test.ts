import assert from 'node:assert/strict';
import { FAILURE } from '../../src/shared/failures.js';
import { ApplicationFailure } from '@temporalio/common';
import type { TogaiAccount, TogaiCustomer } from '../../src/clients/togai/schemas.js';
import type { ZuoraAccount } from '../../src/clients/zuora/schemas.js';
import {
  togaiAccountIdFor,
  togaiCustomerFromZuoraAccount,
  togaiCustomerIdFor,
} from '../../src/mapping/zuora-account-to-togai.js';
import {
  zuoraAccountFromTogai,
  zuoraAccountIdFromSettings,
} from '../../src/mapping/togai-account-to-zuora.js';

const zuoraId = '8ad09bce83f1a0e20183f1c0b3a40001';

function zuoraAccount(overrides: Partial<ZuoraAccount> = {}): ZuoraAccount {
  return {
    basicInfo: { id: zuoraId, accountNumber: 'A00000042', name: 'Acme Corp' },
    billingAndPayment: { currency: 'EUR' },
    billToContact: {
      firstName: 'Ada',
      lastName: 'Lovelace',
      workEmail: 'billing@acme.example',
      address1: '1 Main St',
      city: 'Berlin',
      zipCode: '10115',
      country: 'Germany',
    },
    ...overrides,
  };
}

function isInvalidSourceData(pattern: RegExp) {
  return (err: unknown): boolean =>
    err instanceof ApplicationFailure &&
    err.type === FAILURE.InvalidSourceData &&
    err.nonRetryable === true &&
    pattern.test(err.message);
}

describe('mapping: Zuora account → Togai customer (flow 1)', () => {
  it('builds the customer with its account and the mapping settings inline, with deterministic ids', () => {
    const req = togaiCustomerFromZuoraAccount(zuoraAccount(), 'zuora_sync');
    assert.equal(req.id, `zuora-${zuoraId}`);
    assert.equal(req.id, togaiCustomerIdFor(zuoraId));
    assert.ok(req.id.length <= 50);
    assert.equal(req.account?.id, togaiAccountIdFor(zuoraId));
    assert.ok((req.account?.id.length ?? 99) <= 50);
    assert.equal(req.name, 'Acme Corp');
    assert.equal(req.primaryEmail, 'billing@acme.example');
    assert.equal(req.account?.invoiceCurrency, 'EUR');
    assert.deepEqual(req.address, {
      line1: '1 Main St',
      city: 'Berlin',
      postalCode: '10115',
      country: 'Germany',
    });
    const values = Object.fromEntries((req.account?.settings ?? []).map((s) => [s.id, s.value]));
    assert.deepEqual(values, { zuoraAccountId: zuoraId, zuoraAccountNumber: 'A00000042' });
    assert.ok(req.settings?.every((s) => s.namespace === 'zuora_sync' && s.dataType === 'STRING'));
  });

  it('extends a name shorter than Togai allows with the account number', () => {
    const req = togaiCustomerFromZuoraAccount(
      zuoraAccount({ basicInfo: { id: zuoraId, accountNumber: 'A1', name: 'Al' } }),
      'ns',
    );
    assert.equal(req.name, 'Al (A1)');
  });

  it('fails non-retryably, saying what to fix in Zuora, without a bill-to email or currency', () => {
    const noEmail = zuoraAccount({ billToContact: { firstName: 'A', lastName: 'B' } });
    assert.throws(
      () => togaiCustomerFromZuoraAccount(noEmail, 'ns'),
      isInvalidSourceData(/bill-to contact email.*in Zuora/),
    );
    assert.throws(
      () => togaiCustomerFromZuoraAccount(zuoraAccount({ billToContact: null }), 'ns'),
      isInvalidSourceData(/no bill-to contact/),
    );
    assert.throws(
      () => togaiCustomerFromZuoraAccount(zuoraAccount({ billingAndPayment: { currency: null } }), 'ns'),
      isInvalidSourceData(/currency/),
    );
  });
});

describe('mapping: Togai account → Zuora account (flow 2)', () => {
  const customer: TogaiCustomer = {
    id: 'cust-1',
    togaiCustomerId: 'cust-1',
    name: 'Grace Brewster Hopper',
    primaryEmail: 'grace@navy.example',
    address: { line1: '2 Pier Rd', city: 'Arlington', country: 'US', postalCode: '22201' },
  };
  const account: TogaiAccount = {
    id: 'acc-1',
    togaiAccountId: 'acc-1',
    togaiCustomerId: 'cust-1',
    customerId: 'cust-1',
    name: 'Hopper Labs',
    invoiceCurrency: 'usd',
    status: 'ACTIVE',
  };
  const defaults = {
    billCycleDay: 1,
    paymentTerm: 'Net 30',
    togaiCustomerIdField: 'TogaiCustomerId__c',
    togaiAccountIdField: 'TogaiAccountId__c',
  };

  it('builds a Zuora account with contacts, connection defaults and the Togai ids in custom fields', () => {
    const req = zuoraAccountFromTogai(account, customer, defaults);
    assert.equal(req.name, 'Hopper Labs');
    assert.equal(req.currency, 'USD');
    assert.equal(req.billCycleDay, 1);
    assert.equal(req.paymentTerm, 'Net 30');
    assert.deepEqual(req.customFields, { TogaiCustomerId__c: 'cust-1', TogaiAccountId__c: 'acc-1' });
    assert.equal(req.billToContact.firstName, 'Grace Brewster');
    assert.equal(req.billToContact.lastName, 'Hopper');
    assert.equal(req.billToContact.workEmail, 'grace@navy.example');
    assert.equal(req.billToContact.zipCode, '22201');
    assert.deepEqual(req.soldToContact, req.billToContact);
  });

  it('fails non-retryably without an invoice currency', () => {
    assert.throws(
      () => zuoraAccountFromTogai({ ...account, invoiceCurrency: null }, customer, defaults),
      isInvalidSourceData(/invoice currency/),
    );
  });

  it('recognises an account flow 1 created by its Zuora id setting (the loop guard)', () => {
    const fromZuora: TogaiAccount = {
      ...account,
      settings: [
        {
          id: 'zuoraAccountId',
          name: 'Zuora account ID',
          namespace: 'ns',
          value: zuoraId,
          dataType: 'STRING',
        },
      ],
    };
    assert.equal(zuoraAccountIdFromSettings(fromZuora, 'ns'), zuoraId);
    assert.equal(zuoraAccountIdFromSettings(fromZuora, 'other-namespace'), undefined);
    assert.equal(zuoraAccountIdFromSettings(account, 'ns'), undefined);
  });
});
