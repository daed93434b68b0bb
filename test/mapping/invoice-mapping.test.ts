import assert from 'node:assert/strict';
import { togaiInvoiceSchema, type TogaiInvoice, type TogaiSetting } from '../../src/clients/togai/schemas.js';
import { billingPeriod } from '../../src/mapping/dates.js';
import {
  isSyncableInvoiceStatus,
  plannedTotal,
  togaiInvoiceCurrency,
  togaiMoneyLines,
  zuoraInvoiceFromTogai,
} from '../../src/mapping/invoice-togai-to-zuora.js';
import { Decimal, multiply, roundToCurrency } from '../../src/shared/money.js';
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
  zuoraQuantity,
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

  const OPTIONS = {
    zuoraAccountId: 'Z1',
    currency: 'USD',
    status: 'Posted' as const,
    togaiInvoiceIdField: 'TogaiInvoiceId__c',
    currencyDecimals: {},
    togaiTimeZone: 'UTC',
    taxLines: 'taxation-items' as const,
    zeroAmountLines: 'include' as const,
  };
  const created = (plan: ReturnType<typeof zuoraInvoiceFromTogai>) => {
    assert.equal(plan.kind, 'create', JSON.stringify(plan));
    return plan;
  };
  /** An invoice whose revenue tree is GRAND_TOTAL → the given lines, total their sum unless given. */
  const tree = (
    lines: { type: string; value: string; description?: string; lineItems?: unknown[] }[],
    total?: string,
  ) => {
    const sumOf = lines.reduce((t, l) => new Decimal(t).plus(l.value).toFixed(), '0');
    return invoice({
      totalAmount: total ?? sumOf,
      revenueInfo: {
        description: 'Grand total',
        type: 'GRAND_TOTAL_AMOUNT',
        value: total ?? sumOf,
        lineItems: lines.map((l) => ({ description: l.type, ...l })),
      },
    });
  };

  it('reads the revenue tree’s money lines: charges (never their slabs), adjustments, taxes', () => {
    assert.deepEqual(
      togaiMoneyLines(invoice()).map((l) => [l.role, l.description, l.amount]),
      [
        ['charge', 'API calls', '0.01'],
        ['charge', 'Storage', '10'],
      ],
    );
    const lines = togaiMoneyLines(
      tree([
        {
          type: 'USAGE_RATE_CARD_AMOUNT',
          value: '100',
          lineItems: [{ type: 'PRICING_RULE_REVENUE_UPDATE_AMOUNT', description: 'Loyalty', value: '-5' }],
        },
        { type: 'FIXED_FEE_RATE_CARD_AMOUNT', value: '20' },
        { type: 'TRUE_UP_AMOUNT', value: '30' },
        {
          type: 'TOTAL_CREDITS',
          value: '-10',
          lineItems: [{ type: 'SUB_CREDITS', description: 'Promo credit', value: '-10' }],
        },
        {
          type: 'TOTAL_TAX_AMOUNT',
          value: '13.5',
          lineItems: [{ type: 'TAX_AMOUNT', description: 'VAT', value: '13.5' }],
        },
        { type: 'CUSTOM_AMOUNT', value: '-2' },
        { type: 'CUSTOM_TAG', value: '0' },
      ]),
    );
    assert.deepEqual(
      lines.map((l) => [l.role, l.type, l.amount, l.chargeIndex ?? null]),
      [
        ['charge', 'USAGE_RATE_CARD_AMOUNT', '100', null],
        ['adjustment', 'PRICING_RULE_REVENUE_UPDATE_AMOUNT', '-5', 0],
        ['charge', 'FIXED_FEE_RATE_CARD_AMOUNT', '20', null],
        ['charge', 'TRUE_UP_AMOUNT', '30', null],
        ['adjustment', 'SUB_CREDITS', '-10', null],
        ['tax', 'TAX_AMOUNT', '13.5', null],
        ['adjustment', 'CUSTOM_AMOUNT', '-2', null],
      ],
    );
  });

  it('builds one item per charge line with the period, currency, status and the Togai id field', () => {
    const { body, rounding } = created(zuoraInvoiceFromTogai(invoice(), OPTIONS));
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
        serviceEndDate: '2026-10-31',
        chargeName: 'API calls',
        quantity: '5',
        unitPrice: '0.002',
      },
      {
        amount: '10.00',
        serviceStartDate: '2026-10-01',
        serviceEndDate: '2026-10-31',
        chargeName: 'Storage',
        quantity: '150',
      },
    ]);
    assert.equal(plannedTotal(body), '10.01');
    assert.deepEqual(
      [rounding.togaiTotal, rounding.zuoraTotal, rounding.difference, rounding.lines],
      ['10.01', '10.01', '0', []],
    );
    assert.equal(togaiInvoiceCurrency(invoice()), 'USD');
  });

  it('100.00 charge and a −10.00 discount → 90.00: the discount is a discount item of the charge', () => {
    const plan = created(
      zuoraInvoiceFromTogai(
        tree([
          { type: 'USAGE_RATE_CARD_AMOUNT', value: '100', description: 'API calls' },
          { type: 'PRICING_RULE_REVENUE_UPDATE_AMOUNT', value: '-10', description: '10% off' },
        ]),
        OPTIONS,
      ),
    );
    assert.deepEqual(
      plan.body.invoiceItems.map((i) => [i.amount, i.discountItems]),
      [['100.00', [{ amount: '-10.00', chargeName: '10% off' }]]],
    );
    assert.equal(plannedTotal(plan.body), '90');
  });

  it('a fully credited invoice (items 100, total 0) is a zero invoice, not a mismatch', () => {
    const plan = created(
      zuoraInvoiceFromTogai(
        tree([
          { type: 'USAGE_RATE_CARD_AMOUNT', value: '60' },
          { type: 'FIXED_FEE_RATE_CARD_AMOUNT', value: '40' },
          {
            type: 'TOTAL_CREDITS',
            value: '-100',
            lineItems: [{ type: 'SUB_CREDITS', description: 'Prepaid credits', value: '-100' }],
          },
        ]),
        OPTIONS,
      ),
    );
    assert.deepEqual(
      plan.body.invoiceItems.map((i) => [i.amount, i.discountItems?.map((d) => d.amount)]),
      [
        ['60.00', ['-60.00']],
        ['40.00', ['-40.00']],
      ],
    );
    assert.equal(plannedTotal(plan.body), '0');
  });

  it('invoice-level discounts and taxes are spread over the charges by amount, adding up exactly', () => {
    const plan = created(
      zuoraInvoiceFromTogai(
        tree([
          { type: 'USAGE_RATE_CARD_AMOUNT', value: '10' },
          { type: 'USAGE_RATE_CARD_AMOUNT', value: '20' },
          { type: 'PRICING_RULE_REVENUE_UPDATE_AMOUNT', value: '-1', description: 'Discount' },
          {
            type: 'TOTAL_TAX_AMOUNT',
            value: '2.9',
            lineItems: [{ type: 'TAX_AMOUNT', description: 'VAT 10%', value: '2.9' }],
          },
        ]),
        OPTIONS,
      ),
    );
    const items = plan.body.invoiceItems;
    // 1 / 3 and 2 / 3 of the discount: 0.33 and 0.67 after the residual cent; the tax likewise.
    assert.deepEqual(
      items.map((i) => i.discountItems?.[0]?.amount),
      ['-0.33', '-0.67'],
    );
    assert.deepEqual(items.map((i) => i.taxItems?.[0]?.taxAmount).sort(), ['0.97', '1.93']);
    assert.equal(items[0]?.taxItems?.[0]?.taxRateType, 'FlatFee');
    assert.equal(plannedTotal(plan.body), '31.9');
  });

  it('money at the currency’s precision: 1,001 calls at 0.0015 USD → 1.50, the difference shown', () => {
    const plan = created(
      zuoraInvoiceFromTogai(
        tree([{ type: 'USAGE_RATE_CARD_AMOUNT', value: '1.5015', description: 'Calls' }]),
        OPTIONS,
      ),
    );
    assert.equal(plan.body.invoiceItems[0]?.amount, '1.50');
    assert.deepEqual(plan.rounding, {
      currency: 'USD',
      togaiTotal: '1.5015',
      zuoraTotal: '1.50',
      difference: '-0.0015',
      lines: [{ description: 'Calls', togai: '1.5015', zuora: '1.5' }],
    });
    const jpy = created(
      zuoraInvoiceFromTogai(
        tree([{ type: 'USAGE_RATE_CARD_AMOUNT', value: '13.5', description: '3 × 4.5' }]),
        {
          ...OPTIONS,
          currency: 'JPY',
        },
      ),
    );
    assert.equal(jpy.body.invoiceItems[0]?.amount, '14');
    assert.equal(jpy.rounding.difference, '0.5');
    const tenant = created(
      zuoraInvoiceFromTogai(tree([{ type: 'USAGE_RATE_CARD_AMOUNT', value: '13.5' }]), {
        ...OPTIONS,
        currency: 'JPY',
        currencyDecimals: { JPY: 2 },
      }),
    );
    assert.equal(tenant.body.invoiceItems[0]?.amount, '13.50', "the tenant's own decimal places win");
  });

  it('rounded lines still add up to the rounded total (the residual goes to the lines that lost most)', () => {
    const plan = created(
      zuoraInvoiceFromTogai(
        tree([
          { type: 'USAGE_RATE_CARD_AMOUNT', value: '0.005' },
          { type: 'USAGE_RATE_CARD_AMOUNT', value: '0.005' },
          { type: 'USAGE_RATE_CARD_AMOUNT', value: '0.005' },
        ]),
        OPTIONS,
      ),
    );
    // 0.015 → 0.02 in all, though each 0.005 alone would round to 0.01 (0.03).
    assert.equal(plannedTotal(plan.body), '0.02');
    assert.deepEqual(plan.rounding.zuoraTotal, '0.02');
  });

  it('refuses what cannot be an invoice: lines that do not add up, a negative total', () => {
    const mismatch = zuoraInvoiceFromTogai(
      tree([{ type: 'USAGE_RATE_CARD_AMOUNT', value: '10' }], '12'),
      OPTIONS,
    );
    assert.equal(mismatch.kind, 'refuse');
    assert.equal(mismatch.kind === 'refuse' && mismatch.failure, 'TotalMismatch');
    const negative = zuoraInvoiceFromTogai(
      tree([
        { type: 'USAGE_RATE_CARD_AMOUNT', value: '10' },
        { type: 'CUSTOM_AMOUNT', value: '-15', description: 'Refund' },
      ]),
      OPTIONS,
    );
    assert.equal(negative.kind === 'refuse' && negative.failure, 'NegativeInvoice');
  });

  it('fits a long line description to the charge name limit and keeps it whole in the description', () => {
    const long = `Überlänge 🧾 ${'x'.repeat(200)}`;
    const plan = created(
      zuoraInvoiceFromTogai(
        tree([{ type: 'USAGE_RATE_CARD_AMOUNT', value: '1', description: long }]),
        OPTIONS,
      ),
    );
    const item = plan.body.invoiceItems[0]!;
    assert.ok((item.chargeName ?? '').length <= 130);
    assert.ok(long.startsWith(item.chargeName ?? '-'));
    assert.equal(item.description, long);
    assert.deepEqual(plan.fitted, [
      {
        field: 'invoiceItems[0].chargeName',
        length: long.length,
        limit: 130,
        keptIn: 'invoiceItems[0].description',
      },
    ]);
  });

  it('Zuora’s dates: inclusive end, and calendar days of Togai’s zone', () => {
    assert.deepEqual(billingPeriod(invoice({ endDateInclusive: '2026-10-31T23:59:59.999Z' }), 'UTC'), {
      start: '2026-10-01',
      end: '2026-10-31',
    });
    // Without endDateInclusive the exclusive end's day before.
    assert.deepEqual(
      billingPeriod(invoice({ startDate: '2026-11-01T00:00:00Z', endDate: '2026-12-01T00:00:00Z' }), 'UTC'),
      {
        start: '2026-11-01',
        end: '2026-11-30',
      },
    );
    // A Togai calendar in India: its midnights are 18:30 UTC the day before.
    assert.deepEqual(
      billingPeriod(
        invoice({ startDate: '2026-10-31T18:30:00Z', endDate: '2026-11-30T18:30:00Z' }),
        'Asia/Kolkata',
      ),
      { start: '2026-11-01', end: '2026-11-30' },
    );
    assert.deepEqual(
      billingPeriod(
        invoice({ startDate: '2026-11-01T10:00:00Z', endDateInclusive: '2026-10-31T23:59:59Z' }),
        'UTC',
      ),
      { start: '2026-11-01', end: '2026-11-01' },
    );
  });

  it('periods across DST changes, including days whose midnight does not exist', () => {
    // Auckland's April cycle: starts at NZDT midnight (+13), ends at NZST midnight (+12).
    assert.deepEqual(
      billingPeriod(
        invoice({ startDate: '2026-03-31T11:00:00Z', endDate: '2026-04-30T12:00:00Z' }),
        'Pacific/Auckland',
      ),
      { start: '2026-04-01', end: '2026-04-30' },
    );
    // Auckland's September cycle: DST begins on 2026-09-27, inside the cycle.
    assert.deepEqual(
      billingPeriod(
        invoice({ startDate: '2026-08-31T12:00:00Z', endDate: '2026-09-30T11:00:00Z' }),
        'Pacific/Auckland',
      ),
      { start: '2026-09-01', end: '2026-09-30' },
    );
    // Chile skips 2026-09-06 00:00 (clocks go from 24:00 to 01:00): that day begins at 01:00
    // (04:00Z), and a cycle ending there ends on the 5th.
    assert.deepEqual(
      billingPeriod(
        invoice({ startDate: '2026-08-06T04:00:00Z', endDate: '2026-09-06T04:00:00Z' }),
        'America/Santiago',
      ),
      { start: '2026-08-06', end: '2026-09-05' },
    );
    // Los Angeles' November: PDT at the start, PST at the end.
    assert.deepEqual(
      billingPeriod(
        invoice({ startDate: '2026-11-01T07:00:00Z', endDate: '2026-12-01T08:00:00Z' }),
        'America/Los_Angeles',
      ),
      { start: '2026-11-01', end: '2026-11-30' },
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

  it('unit amount with a currency: significant digits, as many as make quantity × unit round to the revenue', () => {
    const USD = { code: 'USD', decimals: {} };
    // 45,000,000,001 tiered tokens for 49,900.00: 12 decimal places would bill 49,900.01.
    const q = '45000000001';
    const u = unitAmount('49900', q, undefined, USD);
    assert.equal(roundToCurrency(multiply(q, u), 'USD'), '49900.00');
    assert.notEqual(
      roundToCurrency(multiply(q, unitAmount('49900', q)), 'USD'),
      '49900.00',
      'v0.1’s 12 places were off',
    );
    for (const [revenue, quantity] of [
      ['10', '150'],
      ['0.01', '7'],
      ['123456.78', '99999999999'],
      ['1', '3'],
    ] as const) {
      const unit = unitAmount(revenue, quantity, undefined, USD);
      assert.equal(
        roundToCurrency(multiply(quantity, unit), 'USD'),
        roundToCurrency(revenue, 'USD'),
        `${revenue} / ${quantity}`,
      );
    }
    const JPY = { code: 'JPY', decimals: {} };
    assert.equal(roundToCurrency(multiply('3', unitAmount('13.5', '3', undefined, JPY)), 'JPY'), '14');
  });

  it('a quantity longer than Zuora’s 16 characters is rounded to fit and the unit amount follows, so the money is kept', () => {
    assert.equal(zuoraQuantity('1234.5'), '1234.5');
    assert.equal(zuoraQuantity('0.12345678901234567'), '0.12345678901235');
    assert.equal(zuoraQuantity('123456789012.123456'), '123456789012.123');
    assert.equal(zuoraQuantity('12345678901234567'), undefined);
    const USD = { code: 'USD', decimals: {} };
    const f = usageFigures(
      'quantity',
      '0.12345678901234567',
      { revenue: '1234.57', valuePerQuantity: '10000' },
      USD,
    );
    assert.equal(f.quantity, '0.12345678901235');
    assert.equal(f.exactQuantity, '0.12345678901234567');
    assert.equal(roundToCurrency(multiply(f.quantity, f.unitAmount), 'USD'), '1234.57');
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

  it('a meter whose mode names a flow that is off is skipped, pending (synced once the flow is on); a meter marked none is not billed', () => {
    const prpc = setting(USAGE_METER_SETTING.productRatePlanCharge, 'PRPC-1');
    const revenueMeter = [prpc, setting(USAGE_METER_SETTING.syncMode, 'revenue')];
    const off = meterMapping(revenueMeter, 'zuora', 'quantity', { usageQuantity: true, usageRevenue: false });
    assert.ok('skip' in off);
    assert.deepEqual([off.skip.kind, SKIP_KINDS[off.skip.kind].pending], ['flow-off', true]);
    assert.match(off.skip.reason, /flow 5/);
    const on = meterMapping(revenueMeter, 'zuora', 'quantity', { usageQuantity: false, usageRevenue: true });
    assert.ok('mapping' in on);
    // Even without a charge mapping: the business says this meter is never billed in Zuora.
    const none = meterMapping([setting(USAGE_METER_SETTING.syncMode, 'None')], 'zuora', 'quantity', BOTH);
    assert.ok('skip' in none);
    assert.deepEqual([none.skip.kind, SKIP_KINDS[none.skip.kind].pending], ['not-billed', false]);
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
