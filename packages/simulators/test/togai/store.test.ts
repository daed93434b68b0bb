import assert from 'node:assert/strict';
import { Decimal, InexactAmountError } from '../../src/togai/decimal.js';
import { TogaiApiError } from '../../src/togai/errors.js';
import { usageRateCardSchema } from '../../src/togai/pricing.js';
import { fullSettingId, TogaiStore, type TogaiDomainEvent } from '../../src/togai/store.js';
import type { InvoiceLineItem, TogaiEvent } from '../../src/togai/types.js';

const DAY = 86_400_000;

function setup() {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const events: TogaiDomainEvent[] = [];
  const store = new TogaiStore({ now: () => now, onEvent: (e) => events.push(e) });
  store.putMeter({
    meter: {
      id: 'um.calls',
      name: 'calls',
      displayName: 'Calls',
      type: 'COUNTER',
      aggregation: 'COUNT',
      status: 'ACTIVE',
    },
    eventSchemaName: 'call',
  });
  store.putMeter({
    meter: {
      id: 'um.eu_bytes',
      name: 'eu bytes',
      displayName: 'EU bytes',
      type: 'COUNTER',
      aggregation: 'SUM',
      status: 'ACTIVE',
      computations: [{ computation: 'bytes', order: 1 }],
      filters: [{ field: 'region', value: 'eu' }],
    },
    eventSchemaName: 'transfer',
  });
  store.putMeter({
    meter: {
      id: 'um.off',
      name: 'off',
      displayName: 'Off',
      type: 'COUNTER',
      aggregation: 'COUNT',
      status: 'INACTIVE',
    },
    eventSchemaName: 'call',
  });
  store.putPricePlan({
    id: 'pp.1',
    name: 'Plan 1',
    rateCards: [
      usageRateCardSchema.parse({
        usageMeterId: 'um.calls',
        ratePlan: { pricingModel: 'TIERED', slabs: [{ order: 1, startAfter: 0, priceType: 'PER_UNIT' }] },
        rateValues: [{ currency: 'USD', slabRates: [{ order: 1, rate: '0.07' }] }],
      }),
    ],
  });
  store.defaultPricePlanId = 'pp.1';
  store.createCustomer({
    id: 'C1',
    name: 'Customer one',
    primaryEmail: 'c1@example.com',
    address: { line1: '1 Road', postalCode: '123', city: 'Town', country: 'US' },
    account: { id: 'A1', name: 'Account one', aliases: ['alias-a1'] },
  });
  return {
    store,
    events,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function ev(partial: Partial<TogaiEvent> & { schemaName: string }): TogaiEvent {
  return { timestamp: '2026-01-01T00:00:00Z', accountId: 'A1', attributes: [], dimensions: {}, ...partial };
}

function children(line: InvoiceLineItem): InvoiceLineItem[] {
  return line.metadata?.lineItems ?? [];
}

describe('simulators/togai store', () => {
  it('creates a customer with an inline account and settings; refusals leave nothing behind', () => {
    const { store, events } = setup();
    assert.equal(store.getCustomer('C1').billingAddress, '1 Road, 123, Town, US');
    assert.equal(store.getAccount('A1').invoiceCurrency, 'USD');
    assert.deepEqual(
      events.map((e) => [e.type, e.entityId]),
      [['account.created', 'A1']],
    );
    const refused = (fn: () => unknown, status: number) =>
      assert.throws(fn, (e: unknown) => e instanceof TogaiApiError && e.status === status);
    // The customer id is new but the inline account's is taken: neither is created.
    refused(
      () =>
        store.createCustomer({
          id: 'C2',
          name: 'Two',
          primaryEmail: 'c2@example.com',
          address: {},
          account: { id: 'A1', name: 'dup' },
        }),
      409,
    );
    assert.equal(store.customers.has('C2'), false);
    refused(() => store.createAccount({ id: 'A9', name: 'x', customerId: 'nope' }), 404);
    refused(() => store.createCustomer({ id: 'C1', name: 'again', primaryEmail: 'x@y.z', address: {} }), 409);
    assert.equal(events.length, 1, 'no event for refused creations');
  });

  it('keys settings by their full id and lists them by entity, namespace and id', () => {
    const { store } = setup();
    const base = { value: 'v', name: 'n', dataType: 'STRING' as const };
    store.createSetting({
      ...base,
      id: 'zuora_charge_id',
      namespace: 'USER',
      entityType: 'USAGE_METER',
      entityId: 'um.calls',
    });
    store.createSetting({
      ...base,
      id: 'zuora_charge_id',
      namespace: 'USER',
      entityType: 'USAGE_METER',
      entityId: 'um.x',
    });
    store.createSetting({
      ...base,
      id: 'other',
      namespace: 'togai',
      entityType: 'USAGE_METER',
      entityId: 'um.calls',
    });
    const s = store.getSetting('setting.USER.zuora_charge_id.USAGE_METER.um.calls');
    assert.equal(fullSettingId(s), 'setting.USER.zuora_charge_id.USAGE_METER.um.calls');
    assert.equal(store.listSettings({ entityType: 'USAGE_METER', entityId: 'um.calls' }).length, 2);
    assert.equal(store.listSettings({ entityType: 'USAGE_METER', namespace: 'USER' }).length, 2);
    assert.equal(store.listSettings({ id: 'other' }).length, 1);
    assert.throws(
      () => store.createSetting({ ...s }),
      (e: unknown) => e instanceof TogaiApiError && e.status === 409,
    );
    assert.equal(store.updateSetting(fullSettingId(s), { value: 'w' }).value, 'w');
  });

  it('accrues events per meter on the DRAFT invoice: COUNT, SUM with filters, aliases, de-duplication', () => {
    const { store, advance } = setup();
    const r = store.ingest([
      ev({ schemaName: 'call', id: 'e1' }),
      ev({ schemaName: 'call', id: 'e2', accountId: 'alias-a1' }),
      ev({ schemaName: 'call', id: 'e1' }),
      ev({
        schemaName: 'transfer',
        id: 'e3',
        attributes: [{ name: 'bytes', value: '0.5' }],
        dimensions: { region: 'eu' },
      }),
      ev({
        schemaName: 'transfer',
        id: 'e4',
        attributes: [{ name: 'bytes', value: '7' }],
        dimensions: { region: 'us' },
      }),
      ev({ schemaName: 'call', id: 'e5', accountId: 'unknown' }),
    ]);
    assert.deepEqual(r, { accepted: 5, duplicates: 1 });
    const [draft] = store.listInvoices();
    assert.ok(draft);
    assert.equal(draft.status, 'DRAFT');
    assert.deepEqual(
      draft.usageInfo.map((l) => [l.id, l.value]),
      [
        ['um.calls', 2],
        ['um.eu_bytes', 0.5],
      ],
    );
    assert.equal(draft.totalAmount, 0.14);
    assert.equal(store.events.find((e) => e.event.id === 'e5')?.status, 'UNKNOWN_ACCOUNT');
    // Togai forgets event ids after 45 days.
    advance(44 * DAY);
    assert.deepEqual(store.ingest([ev({ schemaName: 'call', id: 'e1' })]), { accepted: 0, duplicates: 1 });
    advance(2 * DAY);
    assert.deepEqual(store.ingest([ev({ schemaName: 'call', id: 'e1' })]), { accepted: 1, duplicates: 0 });
  });

  it('the togai-usage schema names its meter in a dimension', () => {
    const { store } = setup();
    store.ingest([
      ev({
        schemaName: 'togai-usage',
        dimensions: { usage_meter_id: 'um.calls' },
        attributes: [{ name: 'usage', value: '10' }],
      }),
      ev({
        schemaName: 'togai-usage',
        dimensions: { usage_meter_id: 'um.off' },
        attributes: [{ name: 'usage', value: '10' }],
      }),
    ]);
    assert.deepEqual(
      store.listInvoices()[0]?.usageInfo.map((l) => [l.id, l.value]),
      [['um.calls', 10]],
    );
  });

  it('closing the cycle makes the DRAFT DUE, frozen, with the line tree, and opens a new DRAFT', () => {
    const { store, events, advance } = setup();
    store.ingest([
      ev({ schemaName: 'call', id: 'a' }),
      ev({ schemaName: 'call', id: 'b' }),
      ev({ schemaName: 'call', id: 'c' }),
    ]);
    advance(DAY);
    const due = store.closeCycle('A1');
    assert.equal(due.status, 'DUE');
    assert.equal(due.finalizingStatus, 'FINALIZED');
    assert.equal(due.generatedAt, '2026-01-02T00:00:00.000Z');
    assert.equal(due.invoiceDate, due.generatedAt);
    assert.equal(due.totalAmount, 0.21);
    const path: string[] = [];
    let line: InvoiceLineItem | undefined = due.revenueInfo;
    while (line) {
      path.push(line.type);
      line = children(line)[0];
    }
    assert.deepEqual(path, [
      'GRAND_TOTAL_AMOUNT',
      'TOTAL_AMOUNT',
      'NET_AMOUNT',
      'GROSS_AMOUNT',
      'USAGE_RATE_CARD_AMOUNT',
      'USAGE_RATE_CARD_SLAB_AMOUNT',
    ]);
    assert.deepEqual(events.at(-1), { type: 'invoice.generated', entityId: due.id, entity: due });

    // Later usage and price changes go to the new DRAFT; the DUE invoice does not change.
    store.ingest([ev({ schemaName: 'call', id: 'd' })]);
    store.pricePlans.clear();
    assert.deepEqual(store.getInvoice(due.id), due);
    const drafts = store.listInvoices().filter((i) => i.status === 'DRAFT');
    assert.equal(drafts.length, 1);
    assert.equal(drafts[0]?.startDate, due.endDate);
    assert.deepEqual(
      drafts[0]?.usageInfo.map((l) => l.value),
      [1],
    );
    assert.equal(drafts[0]?.totalAmount, 0, 'no plan, no revenue');
  });

  it('a whole revenue tree: fixed fee, discount, minimum commitment, custom lines, tax and credits add up to the total', () => {
    const { store } = setup();
    store.putPricePlan({
      id: 'pp.whole',
      name: 'Whole',
      rateCards: store.pricePlans.get('pp.1')!.rateCards,
      fixedFees: [{ name: 'Platform fee', amounts: { USD: new Decimal('20') } }],
      discount: { name: 'Loyalty', percent: new Decimal('10') },
      minimumCommitment: { name: 'Minimum', amounts: { USD: new Decimal('50') } },
      tax: { name: 'VAT', percent: new Decimal('19') },
    });
    store.accountPricePlans.set('A1', 'pp.whole');
    store.grantCredit('A1', new Decimal('5'));
    store.ingest([ev({ schemaName: 'call', id: 'w1' }), ev({ schemaName: 'call', id: 'w2' })]);
    const due = store.closeCycle('A1', {
      customLines: [{ description: 'Onboarding', value: new Decimal('7.5') }],
    });
    // gross 20.14, discount -2.014, net 18.126, true-up 31.874 (to 50), custom 7.5 → 57.5; tax 10.925; credits -5.
    const flat: [string, number][] = [];
    const walk = (l: InvoiceLineItem): void => {
      flat.push([l.type, l.value]);
      children(l).forEach(walk);
    };
    walk(due.revenueInfo);
    assert.deepEqual(flat, [
      ['GRAND_TOTAL_AMOUNT', 63.425],
      ['TOTAL_AMOUNT', 57.5],
      ['NET_AMOUNT', 18.126],
      ['GROSS_AMOUNT', 20.14],
      ['USAGE_RATE_CARD_AMOUNT', 0.14],
      ['USAGE_RATE_CARD_SLAB_AMOUNT', 0.14],
      ['FIXED_FEE_RATE_CARD_AMOUNT', 20],
      ['PRICING_RULE_REVENUE_UPDATE_AMOUNT', -2.014],
      ['TRUE_UP_AMOUNT', 31.874],
      ['CUSTOM_AMOUNT', 7.5],
      ['TOTAL_TAX_AMOUNT', 10.925],
      ['TAX_AMOUNT', 10.925],
      ['TOTAL_CREDITS', -5],
      ['SUB_CREDITS', -5],
    ]);
    assert.equal(due.totalAmount, 63.425);
    // Credits are used once: the next invoice has none left.
    store.ingest([ev({ schemaName: 'call', id: 'w3' })]);
    const next = store.closeCycle('A1');
    assert.ok(!JSON.stringify(next.revenueInfo).includes('SUB_CREDITS'));
  });

  it('closes a given period with or without endDateInclusive (the last millisecond of the half-open period)', () => {
    const { store } = setup();
    const november = {
      startDate: Date.parse('2026-11-01T00:00:00Z'),
      endDate: Date.parse('2026-12-01T00:00:00Z'),
    };
    const withEnd = store.closeCycle('A1', november);
    assert.deepEqual(
      [withEnd.startDate, withEnd.endDate, withEnd.endDateInclusive],
      ['2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z', '2026-11-30T23:59:59.999Z'],
    );
    const without = store.closeCycle('A1', { ...november, endDateInclusive: false });
    assert.equal(without.endDateInclusive, undefined);
    assert.throws(
      () => store.closeCycle('A1', { startDate: november.endDate, endDate: november.startDate }),
      TogaiApiError,
    );
  });

  it('refuses an address whose country is not an ISO 3166-1 alpha-2 code, as Togai’s spec describes it', () => {
    const { store } = setup();
    for (const country of ['United States', 'USA', 'us', 'XX']) {
      assert.throws(
        () =>
          store.createCustomer({
            id: `C-${country}`,
            name: 'Geo',
            primaryEmail: 'g@example.com',
            address: { country },
          }),
        (err: unknown) =>
          err instanceof TogaiApiError && err.status === 400 && /ISO 3166-1 alpha-2/.test(err.message),
        country,
      );
    }
    assert.throws(() => store.updateAccount('A1', { address: { country: 'Germany' } }), TogaiApiError);
    store.createCustomer({
      id: 'C-DE',
      name: 'Geo',
      primaryEmail: 'g@example.com',
      address: { country: 'DE' },
    });
  });

  it('a cycle whose amounts cannot be written exactly stays open: nothing half-closed', () => {
    const { store, events } = setup();
    store.ingest([
      ev({
        schemaName: 'togai-usage',
        dimensions: { usage_meter_id: 'um.calls' },
        attributes: [{ name: 'usage', value: '0.12345678901234567891' }],
      }),
    ]);
    assert.throws(() => store.closeCycle('A1'), InexactAmountError);
    const records = [...store.invoices.values()];
    assert.deepEqual(
      records.map((r) => [r.status, r.sequenceId]),
      [['DRAFT', undefined]],
    );
    assert.equal(events.filter((e) => e.type === 'invoice.generated').length, 0);
  });
});
