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
  meterMapping,
  meterRevenue,
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

  it('reads the meter’s mapping from its settings in the connection’s namespace only', () => {
    const sub = setting(USAGE_METER_SETTING.zuoraSubscriptionId, 'A-S00000001');
    const charge = setting(USAGE_METER_SETTING.zuoraChargeId, 'C-00000001');
    assert.deepEqual(meterMapping([sub, charge], 'zuora', 'quantity'), {
      mapping: { subscription: 'A-S00000001', charge: 'C-00000001', mode: 'quantity', uom: DEFAULT_UOM },
    });
    assert.deepEqual(
      meterMapping(
        [
          sub,
          charge,
          setting(USAGE_METER_SETTING.syncMode, 'REVENUE'),
          setting(USAGE_METER_SETTING.unitOfMeasure, 'GB'),
        ],
        'zuora',
        'quantity',
      ),
      { mapping: { subscription: 'A-S00000001', charge: 'C-00000001', mode: 'revenue', uom: 'GB' } },
    );
    const other = meterMapping([{ ...sub, namespace: 'USER' }, charge], 'zuora', 'quantity');
    assert.ok('skip' in other);
    assert.match(other.skip, /zuora\.zuora_subscription_id/);
    const bad = meterMapping(
      [sub, charge, setting(USAGE_METER_SETTING.syncMode, 'both')],
      'zuora',
      'quantity',
    );
    assert.ok('skip' in bad);
    assert.match(bad.skip, /"both"/);
  });

  it('sends a 32-hex value as an id and anything else as a number, with the unit amount and key fields', () => {
    const options = {
      zuoraAccountId: 'Z1',
      togaiInvoiceId: 'inv.1',
      meterId: 'um.calls',
      start: '2026-10-01T00:00:00.000Z',
      end: '2026-11-01T00:00:00.000Z',
      unitAmountField: 'TogaiUnitAmount__c',
      idempotencyKey: 'tzs1:key',
    };
    const byNumber = zuoraUsageFromLine(
      { subscription: 'A-S00000001', charge: 'C-00000001', mode: 'quantity', uom: 'Each' },
      { quantity: '5', unitAmount: '0.002' },
      options,
    );
    assert.equal(byNumber.SubscriptionNumber, 'A-S00000001');
    assert.equal(byNumber.ChargeNumber, 'C-00000001');
    assert.equal(byNumber.Quantity, '5');
    assert.equal(byNumber.StartDateTime, options.start);
    assert.equal(byNumber.EndDateTime, options.end);
    assert.deepEqual(byNumber.customFields, { TogaiUnitAmount__c: '0.002', [USAGE_KEY_FIELD]: 'tzs1:key' });
    const id = '8ad09bce83f1a0e20183f1c0b3a40001';
    const byId = zuoraUsageFromLine(
      { subscription: id, charge: id, mode: 'revenue', uom: 'Each' },
      { quantity: '10', unitAmount: '1' },
      options,
    );
    assert.equal(byId.SubscriptionId, id);
    assert.equal(byId.ChargeId, id);
  });
});
