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
    const { body: req, unmapped, fitted } = togaiCustomerFromZuoraAccount(zuoraAccount(), 'zuora_sync');
    assert.deepEqual([unmapped, fitted], [[], []]);
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
      // Zuora's country name as Togai's ISO 3166-1 alpha-2 code.
      country: 'DE',
    });
    const values = Object.fromEntries((req.account?.settings ?? []).map((s) => [s.id, s.value]));
    assert.deepEqual(values, { zuoraAccountId: zuoraId, zuoraAccountNumber: 'A00000042' });
    assert.ok(req.settings?.every((s) => s.namespace === 'zuora_sync' && s.dataType === 'STRING'));
  });

  it('extends a name shorter than Togai allows with the account number', () => {
    const { body: req } = togaiCustomerFromZuoraAccount(
      zuoraAccount({ basicInfo: { id: zuoraId, accountNumber: 'A1', name: 'Al' } }),
      'ns',
    );
    assert.equal(req.name, 'Al (A1)');
  });

  it('countries as Togai’s ISO alpha-2 codes from Zuora’s names, aliases and codes; an unknown one left out and reported', () => {
    const country = (c: string, state?: string) =>
      togaiCustomerFromZuoraAccount(
        zuoraAccount({
          billToContact: {
            ...zuoraAccount().billToContact!,
            country: c,
            ...(state !== undefined && { state }),
          },
        }),
        'ns',
      );
    for (const [given, code] of [
      ['United States', 'US'],
      ['United States of America', 'US'],
      ['USA', 'US'],
      ['us', 'US'],
      ['Deutschland', undefined],
      ['South Korea', 'KR'],
      ['Côte d’Ivoire', undefined],
      ["Cote d'Ivoire", 'CI'],
      ['GBR', 'GB'],
      ['Narnia', undefined],
    ] as const) {
      const plan = country(given);
      assert.equal(plan.body.address?.country, code, given);
      assert.equal(plan.body.account?.address?.country, code, given);
      assert.deepEqual(
        plan.unmapped.map((u) => u.field),
        code === undefined ? ['address.country'] : [],
        given,
      );
      assert.ok(!JSON.stringify(plan.unmapped).includes(given), 'the value itself is not repeated');
    }
    // US states as their 2-letter code; an unknown one left out and reported; elsewhere kept as given.
    assert.equal(country('United States', 'California').body.address?.state, 'CA');
    assert.equal(country('US', 'ny').body.address?.state, 'NY');
    const bad = country('US', 'Calif.');
    assert.equal(bad.body.address?.state, undefined);
    assert.deepEqual(
      bad.unmapped.map((u) => u.field),
      ['address.state'],
    );
    assert.equal(country('Germany', 'Bayern').body.address?.state, 'Bayern');
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
    const { body: req, fitted, unmapped } = zuoraAccountFromTogai(account, customer, defaults);
    assert.deepEqual([fitted, unmapped], [[], []]);
    assert.equal(req.name, 'Hopper Labs');
    assert.equal(req.billToContact.country, 'US');
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

  it('fits every text to Zuora’s limits at grapheme boundaries and reports it; keeps what cannot be cut out', () => {
    const city = 'Llanfairpwllgwyngyll'.repeat(6); // 120 characters: Zuora's city takes 100
    const longName = `${'Ünïcødé '.repeat(40)}🚀🚀`; // over 255, ending in emoji
    const email = `${'x'.repeat(90)}@example.com`;
    const { body, fitted, unmapped } = zuoraAccountFromTogai(
      {
        ...account,
        name: longName,
        primaryEmail: email,
        address: { city, country: 'United States', state: 'Texas' },
      },
      customer,
      defaults,
    );
    assert.equal(body.billToContact.city?.length, 100);
    assert.ok(city.startsWith(body.billToContact.city ?? '-'));
    assert.ok((body.name ?? '').length <= 255);
    assert.ok(!/[\uD800-\uDBFF]$/.test(body.name ?? ''), 'never half an emoji');
    assert.equal(body.billToContact.country, 'US');
    assert.equal(body.billToContact.state, 'TX');
    assert.equal(body.billToContact.workEmail, undefined, 'an email is never cut');
    assert.deepEqual(
      fitted.map((f) => [f.field, f.length, f.limit]),
      [
        ['billToContact.city', 120, 100],
        ['name', longName.length, 255],
      ],
    );
    assert.deepEqual(
      unmapped.map((u) => u.field),
      ['billToContact.workEmail'],
    );
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
