import assert from 'node:assert/strict';
import { togaiInvoiceSchema, type TogaiInvoice, type TogaiSetting } from '../../src/clients/togai/schemas.js';
import {
  isSyncableInvoiceStatus,
  itemsTotal,
  servicePeriod,
  togaiChargeLines,
  togaiInvoiceCurrency,
  zuoraInvoiceFromTogai,
} from '../../src/mapping/invoice-togai-to-zuora.js';
import {
  DEFAULT_UOM,
  meterByName,
  ACCOUNT_USAGE_SETTING,
  meterMapping,
  meterRevenue,
  routeUsage,
  SKIP_KINDS,
  togaiUsageLines,
  unitAmount,
  usageFigures,
  USAGE_KEY_FIELD,
  USAGE_METER_SETTING,
  zuoraUsageFromLine,
} from '../../src/mapping/usage-togai-to-zuora.js';

/**
 * A DUE invoice as the Togai simulator renders it (children in `metadata.lineItems`, meters named
 * in `id` and `metadata.usageMeterId`), parsed by the client's own schema.
 */
function invoice(overrides: Record<string, unknown> = {}): TogaiInvoice {
  const slab = (order: number, value: string, extra: Record<string, unknown> = {}) => ({
    description: `Slab ${order}`,
    type: 'USAGE_RATE_CARD_SLAB_AMOUNT',
    value,
    metadata: { usageMeterId: 'um.gb', slabOrder: order },
    ...extra,
  });
  const calls = {
    id: 'um.calls',
    description: 'API calls',
    type: 'USAGE_RATE_CARD_AMOUNT',
    valuePerQuantity: '0.002',
    quantity: 5,
    units: 'USD',
    value: '0.01',
    metadata: { usageMeterId: 'um.calls', lineItems: [slab(1, '0.01')] },
  };
  const storage = {
    id: 'um.gb',
    description: 'Storage',
    type: 'USAGE_RATE_CARD_AMOUNT',
    quantity: 150,
    units: 'USD',
    value: 10,
    metadata: { usageMeterId: 'um.gb', lineItems: [slab(1, '5'), slab(2, '5', { valuePerQuantity: '0.1' })] },
  };
  const node = (type: string, children: unknown[]) => ({
    description: type,
    type,
    value: '10.01',
    metadata: { lineItems: children },
  });
  return togaiInvoiceSchema.parse({
    id: 'inv.1',
    ownerId: 'acct-1',
    status: 'DUE',
    invoiceClass: 'INVOICE',
    invoiceType: 'STANDARD',
    startDate: '2026-10-01T00:00:00.000Z',
    endDate: '2026-11-01T00:00:00.000Z',
    invoiceDate: '2026-11-01T00:00:00.000Z',
    dueDate: '2026-11-15T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    totalAmount: '10.01',
    paidAmount: 0,
    invoiceDetails: { account: { name: 'A', invoiceCurrency: 'USD' } },
    usageInfo: [
      {
        id: 'um.calls',
        description: 'API calls',
        type: 'USAGE_METER_USAGE',
        value: 5,
        metadata: { usageMeterId: 'um.calls' },
      },
      { description: 'Storage', type: 'USAGE_METER_USAGE', value: 150, metadata: { usageMeterId: 'um.gb' } },
      { description: 'Mystery', type: 'USAGE_METER_USAGE', value: 7 },
    ],
    revenueInfo: node('GRAND_TOTAL_AMOUNT', [
      node('TOTAL_AMOUNT', [node('NET_AMOUNT', [node('GROSS_AMOUNT', [calls, storage])])]),
    ]),
    ...overrides,
  });
}

function setting(id: string, value: string, namespace = 'zuora'): TogaiSetting {
  return {
    id,
    value,
    namespace,
    name: id,
    dataType: 'STRING',
    entityType: 'USAGE_METER',
    entityId: 'um.calls',
  };
}

describe('Invoice mapping (Togai invoice → Zuora standalone invoice)', () => {
  it('syncs generated invoices only: DUE and MERGED (and later PAID states), never DRAFT or VOID', () => {
    assert.equal(isSyncableInvoiceStatus('DUE'), true);
    assert.equal(isSyncableInvoiceStatus('MERGED'), true);
    assert.equal(isSyncableInvoiceStatus('PAID'), true);
    assert.equal(isSyncableInvoiceStatus('DRAFT'), false);
    assert.equal(isSyncableInvoiceStatus('VOID'), false);
  });

  it('takes the GROSS_AMOUNT children as charge lines, never their slabs', () => {
    assert.deepEqual(
      togaiChargeLines(invoice()).map((l) => [l.id, l.value]),
      [
        ['um.calls', '0.01'],
        ['um.gb', '10'],
      ],
    );
  });

  it('without a GROSS_AMOUNT node, takes every USAGE_RATE_CARD_AMOUNT line', () => {
    const inv = invoice();
    const gross = togaiChargeLines(inv);
    const flat = togaiInvoiceSchema.parse({
      ...inv,
      revenueInfo: { description: 'Total', type: 'GRAND_TOTAL_AMOUNT', value: '10.01', lineItems: gross },
    });
    assert.deepEqual(
      togaiChargeLines(flat).map((l) => l.id),
      ['um.calls', 'um.gb'],
    );
  });

  it('builds one item per charge line with exact amounts, the period, currency, status and the Togai id field', () => {
    const body = zuoraInvoiceFromTogai(invoice(), {
      zuoraAccountId: 'Z1',
      currency: 'USD',
      status: 'Posted',
      togaiInvoiceIdField: 'TogaiInvoiceId__c',
    });
    assert.equal(body.accountId, 'Z1');
    assert.equal(body.invoiceDate, '2026-11-01');
    assert.equal(body.dueDate, '2026-11-15');
    assert.equal(body.currency, 'USD');
    assert.equal(body.status, 'Posted');
    assert.deepEqual(body.customFields, { TogaiInvoiceId__c: 'inv.1' });
    assert.deepEqual(body.invoiceItems, [
      {
        amount: '0.01',
        serviceStartDate: '2026-10-01',
        serviceEndDate: '2026-11-01',
        chargeName: 'API calls',
        quantity: '5',
        unitPrice: '0.002',
      },
      {
        amount: '10',
        serviceStartDate: '2026-10-01',
        serviceEndDate: '2026-11-01',
        chargeName: 'Storage',
        quantity: '150',
      },
    ]);
    assert.equal(itemsTotal(body), '10.01');
    assert.equal(togaiInvoiceCurrency(invoice()), 'USD');
  });

  it('prefers the inclusive end date and never ends a period before it starts', () => {
    assert.deepEqual(servicePeriod(invoice({ endDateInclusive: '2026-10-31T23:59:59.999Z' })), {
      start: '2026-10-01',
      end: '2026-10-31',
    });
    assert.deepEqual(
      servicePeriod(invoice({ startDate: '2026-11-01T10:00:00Z', endDateInclusive: '2026-10-31T23:59:59Z' })),
      { start: '2026-11-01', end: '2026-11-01' },
    );
  });
});

describe('Usage mapping (Togai usage lines → Zuora usage records)', () => {
  it('reads each usage line’s meter from metadata.usageMeterId, else from its id; a nameless line has none', () => {
    assert.deepEqual(togaiUsageLines(invoice()), [
      { index: 0, description: 'API calls', meterId: 'um.calls', quantity: '5' },
      { index: 1, description: 'Storage', meterId: 'um.gb', quantity: '150' },
      { index: 2, description: 'Mystery', quantity: '7' },
    ]);
  });

  it('matches a line to a meter by name only when exactly one meter carries it', () => {
    const meters = [
      { id: 'um.a', name: 'a', displayName: 'Mystery' },
      { id: 'um.b', name: 'b', billableName: 'Twice' },
      { id: 'um.c', name: 'Twice' },
    ];
    assert.equal(meterByName('Mystery', meters), 'um.a');
    assert.equal(meterByName('Twice', meters), undefined);
    assert.equal(meterByName('Nobody', meters), undefined);
  });

  it('finds the meter’s revenue and its single rate in the revenue tree; a meter without a rate card earned 0', () => {
    assert.deepEqual(meterRevenue(invoice(), 'um.calls'), { revenue: '0.01', valuePerQuantity: '0.002' });
    assert.deepEqual(meterRevenue(invoice(), 'um.gb'), { revenue: '10' });
    assert.deepEqual(meterRevenue(invoice(), 'um.none'), { revenue: '0' });
  });

  it('unit amount: Togai’s rate when one applies, else the average to 12 decimals, 0 without usage', () => {
    assert.equal(unitAmount('0.01', '5', '0.002'), '0.002');
    assert.equal(unitAmount('10', '150'), '0.066666666667');
    assert.equal(unitAmount('10', '4'), '2.5');
    assert.equal(unitAmount('0', '0'), '0');
  });

  it('quantity mode carries Togai’s quantity; revenue mode the revenue with unit amount 1', () => {
    const rev = { revenue: '10', valuePerQuantity: undefined };
    assert.deepEqual(usageFigures('quantity', '150', { revenue: '10' }), {
      quantity: '150',
      unitAmount: '0.066666666667',
    });
    assert.deepEqual(usageFigures('revenue', '150', rev), { quantity: '10', unitAmount: '1' });
  });

  const BOTH = { usageQuantity: true, usageRevenue: true };

  it('reads the meter’s catalog mapping from its settings in the connection’s namespace only', () => {
    const prpc = setting(USAGE_METER_SETTING.productRatePlanCharge, 'PRPC-00000001');
    assert.deepEqual(meterMapping([prpc], 'zuora', 'quantity', BOTH), {
      mapping: { productRatePlanCharge: 'PRPC-00000001', mode: 'quantity' },
    });
    assert.deepEqual(
      meterMapping(
        [
          prpc,
          setting(USAGE_METER_SETTING.syncMode, 'REVENUE'),
          setting(USAGE_METER_SETTING.unitOfMeasure, 'GB'),
        ],
        'zuora',
        'quantity',
        BOTH,
      ),
      { mapping: { productRatePlanCharge: 'PRPC-00000001', mode: 'revenue', uom: 'GB' } },
    );
    const other = meterMapping([{ ...prpc, namespace: 'USER' }], 'zuora', 'quantity', BOTH);
    assert.ok('skip' in other);
    assert.deepEqual([other.skip.kind, SKIP_KINDS[other.skip.kind].pending], ['no-mapping', true]);
    assert.match(other.skip.reason, /zuora\.zuora_product_rate_plan_charge/);
    const bad = meterMapping(
      [prpc, setting(USAGE_METER_SETTING.syncMode, 'both')],
      'zuora',
      'quantity',
      BOTH,
    );
    assert.ok('skip' in bad);
    assert.match(bad.skip.reason, /"both"/);
  });

  it('a meter still mapped the v0.1 way (one subscription for everyone) is skipped, saying what to set', () => {
    const legacy = meterMapping(
      [setting('zuora_subscription_id', 'A-S00000001'), setting('zuora_charge_id', 'C-00000001')],
      'zuora',
      'quantity',
      BOTH,
    );
    assert.ok('skip' in legacy);
    assert.equal(legacy.skip.kind, 'legacy-mapping');
    assert.match(legacy.skip.reason, /cannot serve several accounts.*zuora_product_rate_plan_charge/);
  });

  it('a meter whose mode names a flow that is off is skipped (not pending: the connection chose it)', () => {
    const prpc = setting(USAGE_METER_SETTING.productRatePlanCharge, 'PRPC-1');
    const revenueMeter = [prpc, setting(USAGE_METER_SETTING.syncMode, 'revenue')];
    const off = meterMapping(revenueMeter, 'zuora', 'quantity', { usageQuantity: true, usageRevenue: false });
    assert.ok('skip' in off);
    assert.deepEqual([off.skip.kind, SKIP_KINDS[off.skip.kind].pending], ['flow-off', false]);
    assert.match(off.skip.reason, /flow 5/);
    const on = meterMapping(revenueMeter, 'zuora', 'quantity', { usageQuantity: false, usageRevenue: true });
    assert.ok('mapping' in on);
  });

  describe('routing a usage line to its account’s subscription (issue 10)', () => {
    const mapping = { productRatePlanCharge: 'PRPC-CALLS', mode: 'quantity' as const };
    const sub = (number: string, prpcs: string[], status = 'Active') => ({
      id: `id-${number}`,
      number,
      status,
      charges: prpcs.map((p, i) => ({
        id: `c-${number}-${i}`,
        number: `C-${number}-${i}`,
        productRatePlanChargeId: `${p}-id`,
        productRatePlanChargeNumber: p,
      })),
    });
    const route = (accountSettings: TogaiSetting[], subs: ReturnType<typeof sub>[]) =>
      routeUsage('um.calls', mapping, accountSettings, 'zuora', 'Z-1', subs);
    const accountSetting = (id: string, value: string): TogaiSetting => ({
      ...setting(id, value),
      entityType: 'ACCOUNT',
      entityId: 'acct-1',
    });

    it('the one active subscription holding the charge, by number or id of the charge', () => {
      const r = route(
        [],
        [sub('S-1', ['PRPC-OTHER']), sub('S-2', ['PRPC-CALLS']), sub('S-3', ['PRPC-CALLS'], 'Cancelled')],
      );
      assert.ok(!('skip' in r));
      assert.deepEqual(r, {
        subscription: { id: 'id-S-2', number: 'S-2' },
        charge: { id: 'c-S-2-0', number: 'C-S-2-0' },
        via: 'only-active-subscription',
      });
      const byId = routeUsage(
        'um.calls',
        { ...mapping, productRatePlanCharge: 'PRPC-CALLS-id' },
        [],
        'zuora',
        'Z-1',
        [sub('S-2', ['PRPC-CALLS'])],
      );
      assert.ok(!('skip' in byId) && byId.subscription.number === 'S-2');
    });

    it('none or several: skipped as pending, naming the fix', () => {
      const none = route([], [sub('S-1', ['PRPC-OTHER'])]);
      assert.ok('skip' in none);
      assert.equal(none.skip.kind, 'no-subscription');
      assert.match(
        none.skip.reason,
        /no active subscription of Zuora account Z-1 holds product rate plan charge PRPC-CALLS/,
      );
      const two = route([], [sub('S-1', ['PRPC-CALLS']), sub('S-2', ['PRPC-CALLS'])]);
      assert.ok('skip' in two);
      assert.equal(two.skip.kind, 'ambiguous-subscription');
      assert.match(two.skip.reason, /S-1\/C-S-1-0, S-2\/C-S-2-0.*zuora\.zuora_subscription/);
      assert.equal(SKIP_KINDS[two.skip.kind].pending, true);
    });

    it('the account’s settings choose: per meter (JSON) over all meters (STRING), and must name one of its subscriptions', () => {
      const subs = [sub('S-1', ['PRPC-CALLS']), sub('S-2', ['PRPC-CALLS'])];
      const all = route([accountSetting(ACCOUNT_USAGE_SETTING.subscription, 'S-2')], subs);
      assert.ok(!('skip' in all) && all.subscription.number === 'S-2' && all.via === 'account-setting');
      const byMeter = route(
        [
          accountSetting(ACCOUNT_USAGE_SETTING.subscription, 'S-2'),
          accountSetting(ACCOUNT_USAGE_SETTING.subscriptionsByMeter, JSON.stringify({ 'um.calls': 'S-1' })),
        ],
        subs,
      );
      assert.ok(!('skip' in byMeter) && byMeter.subscription.number === 'S-1');
      const foreign = route([accountSetting(ACCOUNT_USAGE_SETTING.subscription, 'S-9')], subs);
      assert.ok('skip' in foreign);
      assert.match(
        foreign.skip.reason,
        /S-9 \(zuora\.zuora_subscription\) is not a subscription of Zuora account Z-1/,
      );
      const garbage = route([accountSetting(ACCOUNT_USAGE_SETTING.subscriptionsByMeter, '[1,2]')], subs);
      assert.ok('skip' in garbage);
      assert.equal(garbage.skip.kind, 'bad-setting');
    });
  });

  it('bills to the routed subscription’s charge by number, with the charge’s unit unless the meter names one', () => {
    const options = {
      zuoraAccountId: 'Z1',
      togaiInvoiceId: 'inv.1',
      meterId: 'um.calls',
      start: '2026-10-01T00:00:00.000Z',
      end: '2026-11-01T00:00:00.000Z',
      unitAmountField: 'TogaiUnitAmount__c',
      keyField: USAGE_KEY_FIELD,
      idempotencyKey: 'tzs1:key',
    };
    const route = {
      subscription: { id: 'sid', number: 'A-S00000001' },
      charge: { id: 'cid', number: 'C-00000001', uom: 'Call' },
      via: 'only-active-subscription' as const,
    };
    const body = zuoraUsageFromLine(
      { productRatePlanCharge: 'PRPC-1', mode: 'quantity' },
      route,
      { quantity: '5', unitAmount: '0.002' },
      options,
    );
    assert.equal(body.SubscriptionNumber, 'A-S00000001');
    assert.equal(body.ChargeNumber, 'C-00000001');
    assert.equal(body.UOM, 'Call');
    assert.equal(body.Quantity, '5');
    assert.equal(body.StartDateTime, options.start);
    assert.equal(body.EndDateTime, options.end);
    assert.deepEqual(body.customFields, { TogaiUnitAmount__c: '0.002', [USAGE_KEY_FIELD]: 'tzs1:key' });
    const named = zuoraUsageFromLine(
      { productRatePlanCharge: 'PRPC-1', mode: 'revenue', uom: 'GB' },
      { ...route, charge: { id: 'cid' } },
      { quantity: '10', unitAmount: '1' },
      options,
    );
    assert.equal(named.UOM, 'GB');
    assert.equal(named.ChargeId, 'cid');
    const none = zuoraUsageFromLine(
      { productRatePlanCharge: 'PRPC-1', mode: 'revenue' },
      { ...route, charge: { id: 'cid' } },
      { quantity: '10', unitAmount: '1' },
      options,
    );
    assert.equal(none.UOM, DEFAULT_UOM);
  });
});
