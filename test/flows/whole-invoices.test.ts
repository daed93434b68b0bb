import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DEFAULT_API_TOKEN } from '@togai-zuora-sync/simulators/togai';
import type { InvoiceSyncResult } from '../../src/flows/index.js';
import { USAGE_METER_SETTING } from '../../src/mapping/usage-togai-to-zuora.js';
import { Decimal, normalize, roundToCurrency, sum } from '../../src/shared/money.js';
import {
  closeCycle,
  ok,
  post,
  runInvoiceSync,
  setting,
  TOGAI_INVOICES,
  ZUORA_BILLS_USAGE,
  zuoraInvoicesFor,
  zuoraUsagesFor,
  type CloseOptions,
  type ZuoraInvoiceState,
} from '../helpers/billing.js';
import { startSimulatedConnection, type SimulatedConnection } from '../helpers/simulators.js';

/**
 * Issue 11 through the real flows (simulators + real Temporal): whole Togai invoices (discounts,
 * credits, taxes) as one Zuora invoice whose total is Togai's at the currency's precision, against
 * a Zuora simulator that rounds as Zuora does; Togai's calendar as Zuora's dates for a tenant in
 * Los Angeles.
 */
describe('Whole invoices at the currency’s precision, dates in the tenant’s time zone (real Temporal, both simulators)', function () {
  this.timeout(180_000);

  interface PlanSpec {
    currency: 'USD' | 'EUR' | 'JPY';
    /** Per-unit rate of the account's one usage meter (SUM of `units`). */
    rate?: string;
    fixedFee?: string;
    discountPercent?: string;
    taxPercent?: string;
    minimum?: string;
    credits?: string;
  }

  interface PlanAccount {
    togaiAccountId: string;
    zuoraAccountNumber: string;
    meterId: string;
    tag: string;
  }

  /** A Togai account on a plan of its own (and its Zuora account, with one subscription to the meter's charge). */
  async function seedPlanAccount(env: SimulatedConnection, spec: PlanSpec): Promise<PlanAccount> {
    const tag = randomBytes(4).toString('hex');
    const meterId = `um.units.${tag}`;
    const charge = `PRPC-UNITS-${tag}`;
    const account: PlanAccount = {
      togaiAccountId: `acct-${tag}`,
      zuoraAccountNumber: `Z-${tag}`,
      meterId,
      tag,
    };
    const amounts = (v: string | undefined) => (v === undefined ? undefined : { [spec.currency]: v });
    await post(`${env.togai.url}/__admin/seed`, {
      usageMeters: [
        {
          id: meterId,
          name: `units_${tag}`,
          displayName: 'Units',
          aggregation: 'SUM',
          computations: [{ computation: 'units', order: 1 }],
          eventSchemaName: `units_${tag}`,
          settings: [setting(USAGE_METER_SETTING.productRatePlanCharge, charge)],
        },
      ],
      pricePlans: [
        {
          id: `pp.${tag}`,
          name: `Plan ${tag}`,
          rateCards:
            spec.rate === undefined
              ? []
              : [
                  {
                    displayName: 'Units',
                    usageMeterId: meterId,
                    ratePlan: {
                      pricingModel: 'TIERED',
                      slabs: [{ order: 1, startAfter: 0, priceType: 'PER_UNIT' }],
                    },
                    rateValues: [{ currency: spec.currency, slabRates: [{ order: 1, rate: spec.rate }] }],
                  },
                ],
          ...(spec.fixedFee !== undefined && {
            fixedFees: [{ name: 'Platform fee', amounts: amounts(spec.fixedFee) }],
          }),
          ...(spec.discountPercent !== undefined && {
            discount: { name: 'Loyalty discount', percent: spec.discountPercent },
          }),
          ...(spec.taxPercent !== undefined && { tax: { name: 'VAT', percent: spec.taxPercent } }),
          ...(spec.minimum !== undefined && { minimumCommitment: { amounts: amounts(spec.minimum) } }),
        },
      ],
      accountPricePlans: { [account.togaiAccountId]: `pp.${tag}` },
      customers: [
        {
          id: `cust-${tag}`,
          name: `Customer ${tag}`,
          primaryEmail: `billing-${tag}@example.com`,
          address: { line1: '1 Main St', city: 'Springfield', country: 'US' },
          account: { id: account.togaiAccountId, name: `Account ${tag}`, invoiceCurrency: spec.currency },
        },
      ],
      ...(spec.credits !== undefined && { accountCredits: { [account.togaiAccountId]: spec.credits } }),
    });
    await post(`${env.zuora.url}/__admin/seed`, {
      accounts: [
        {
          accountNumber: account.zuoraAccountNumber,
          name: `Account ${tag}`,
          currency: spec.currency,
          billToContact: {
            firstName: 'Ada',
            lastName: 'Lovelace',
            workEmail: 'ada@example.com',
            country: 'US',
          },
          TogaiAccountId__c: account.togaiAccountId,
        },
      ],
      subscriptions: [
        {
          subscriptionNumber: `S-${tag}`,
          accountKey: account.zuoraAccountNumber,
          ratePlans: [
            {
              id: `rp-${tag}`,
              productRatePlanId: `prp-${tag}`,
              ratePlanCharges: [
                {
                  id: `c-${tag}`,
                  number: `C-${tag}`,
                  productRatePlanChargeId: `${charge}-id`,
                  productRatePlanChargeNumber: charge,
                },
              ],
            },
          ],
        },
      ],
    });
    return account;
  }

  async function ingestUnits(env: SimulatedConnection, account: PlanAccount, units: string): Promise<void> {
    await post(
      `${env.togai.url}/ingestBatch`,
      {
        events: [
          {
            schemaName: `units_${account.tag}`,
            id: `ev-${randomBytes(4).toString('hex')}`,
            timestamp: new Date().toISOString(),
            accountId: account.togaiAccountId,
            attributes: [{ name: 'units', value: units }],
            dimensions: {},
          },
        ],
      },
      { authorization: `Bearer ${DEFAULT_API_TOKEN}` },
    );
  }

  async function invoiceOf(
    env: SimulatedConnection,
    spec: PlanSpec,
    units?: string,
    close: CloseOptions = {},
  ): Promise<{ account: PlanAccount; invoiceId: string; togaiTotal: string }> {
    const account = await seedPlanAccount(env, spec);
    if (units !== undefined) await ingestUnits(env, account, units);
    const invoiceId = await closeCycle(env, account.togaiAccountId, close);
    const togai = (await env.togaiState()) as unknown as { invoices: { id: string; totalAmount: string }[] };
    const togaiTotal = String(togai.invoices.find((i) => i.id === invoiceId)?.totalAmount);
    return { account, invoiceId, togaiTotal };
  }

  /** Everything the Zuora invoice holds: items, discount items and taxation items. */
  function zuoraSum(invoice: ZuoraInvoiceState): string {
    return sum(
      invoice.items.flatMap((i) => [
        i.amount,
        ...i.discountItems.map((d) => d.amount),
        ...i.taxItems.map((t) => t.amount),
      ]),
    );
  }

  async function onlyZuoraInvoice(env: SimulatedConnection, invoiceId: string): Promise<ZuoraInvoiceState> {
    const invoices = await zuoraInvoicesFor(env, invoiceId);
    assert.equal(invoices.length, 1, 'exactly one Zuora invoice');
    return invoices[0]!;
  }

  describe('Togai invoices (flow 3)', () => {
    let env: SimulatedConnection;
    before(async () => {
      env = await startSimulatedConnection({ connection: TOGAI_INVOICES });
    });
    after(async () => {
      await env.close();
    });

    it('a 100.00 charge with a −10.00 discount: one Zuora invoice of 90.00, the discount as the charge’s discount item', async () => {
      const { invoiceId, togaiTotal } = await invoiceOf(env, {
        currency: 'USD',
        fixedFee: '100',
        discountPercent: '10',
      });
      assert.equal(togaiTotal, '90');
      const result = ok(await runInvoiceSync(env, invoiceId));
      assert.equal(result.outcome, 'created');
      assert.deepEqual(result.totals, { currency: 'USD', togai: '90', zuora: '90' });
      assert.equal(result.rounding?.difference, '0');
      const zuora = await onlyZuoraInvoice(env, invoiceId);
      assert.equal(zuora.amount, '90');
      assert.deepEqual(
        zuora.items.map((i) => [i.chargeName, i.amount, i.discountItems.map((d) => [d.name, d.amount])]),
        [['Platform fee', '100', [['Loyalty discount', '-10']]]],
      );
    });

    it('a fully credited invoice (charges 100, total 0): a 0.00 Zuora invoice, the credit as a discount item', async () => {
      const { invoiceId, togaiTotal } = await invoiceOf(env, {
        currency: 'USD',
        fixedFee: '100',
        credits: '250',
      });
      assert.equal(togaiTotal, '0');
      const result = ok(await runInvoiceSync(env, invoiceId));
      assert.equal(result.outcome, 'created');
      assert.deepEqual(result.totals, { currency: 'USD', togai: '0', zuora: '0' });
      const zuora = await onlyZuoraInvoice(env, invoiceId);
      assert.equal(zuora.amount, '0');
      assert.deepEqual(
        zuora.items.map((i) => [i.amount, i.discountItems.map((d) => d.amount)]),
        [['100', ['-100']]],
      );
    });

    it('sub-cent USD: 1,001 units at 0.0015 is 1.5015 in Togai, 1.50 in Zuora, the difference in the result', async () => {
      const { invoiceId, togaiTotal } = await invoiceOf(env, { currency: 'USD', rate: '0.0015' }, '1001');
      assert.equal(togaiTotal, '1.5015');
      const result = ok(await runInvoiceSync(env, invoiceId));
      assert.deepEqual(result.totals, { currency: 'USD', togai: '1.5015', zuora: '1.5' });
      assert.equal(result.rounding?.difference, '-0.0015');
      assert.deepEqual(
        result.rounding?.lines.map((l) => [l.togai, l.zuora]),
        [['1.5015', '1.5']],
      );
      const zuora = await onlyZuoraInvoice(env, invoiceId);
      assert.equal(zuora.amount, '1.5');
      // The item keeps Togai's quantity and rate: Zuora's amount is what rounding left of them.
      assert.deepEqual(
        zuora.items.map((i) => [i.amount, i.quantity, i.unitPrice]),
        [['1.5', '1001', '0.0015']],
      );
    });

    it('JPY, no minor unit: 3 units at 4.5 yen is 13.5 in Togai, 14 in Zuora (half up), the difference in the result', async () => {
      const { invoiceId, togaiTotal } = await invoiceOf(env, { currency: 'JPY', rate: '4.5' }, '3');
      assert.equal(togaiTotal, '13.5');
      const result = ok(await runInvoiceSync(env, invoiceId));
      assert.deepEqual(result.totals, { currency: 'JPY', togai: '13.5', zuora: '14' });
      assert.equal(result.rounding?.difference, '0.5');
      assert.equal((await onlyZuoraInvoice(env, invoiceId)).amount, '14');
    });

    for (const endDateInclusive of [true, false]) {
      it(`a November cycle for a Los Angeles tenant ${endDateInclusive ? 'with' : 'without'} Togai’s endDateInclusive: service period 2026-11-01 to 2026-11-30`, async () => {
        const { invoiceId } = await invoiceOf(env, { currency: 'USD', fixedFee: '20' }, undefined, {
          startDate: '2026-11-01T00:00:00.000Z',
          endDate: '2026-12-01T00:00:00.000Z',
          endDateInclusive,
        });
        const togai = await (
          await fetch(`${env.togai.url}/invoices/${invoiceId}`, {
            headers: { authorization: `Bearer ${DEFAULT_API_TOKEN}` },
          })
        ).json();
        assert.equal(
          (togai as { endDateInclusive?: string }).endDateInclusive,
          endDateInclusive ? '2026-11-30T23:59:59.999Z' : undefined,
        );
        ok(await runInvoiceSync(env, invoiceId));
        const zuora = await onlyZuoraInvoice(env, invoiceId);
        assert.deepEqual(
          zuora.items.map((i) => [i.serviceStartDate, i.serviceEndDate]),
          [['2026-11-01', '2026-11-30']],
        );
        // Togai's invoice date (the cycle's end, midnight UTC) is a calendar day in Togai's zone (UTC).
        assert.equal(zuora.invoiceDate, '2026-12-01');
      });
    }

    it('month end: USD and JPY accounts, a discount, a tax and sub-cent rates; every Zuora total is Togai’s at the currency’s precision, every rounding visible', async () => {
      const plans: { spec: PlanSpec; units?: string }[] = [
        {
          spec: { currency: 'USD', fixedFee: '49.99', rate: '0.0035', discountPercent: '12.5' },
          units: '12345',
        },
        { spec: { currency: 'JPY', fixedFee: '1000', rate: '0.37', taxPercent: '10' }, units: '777' },
        { spec: { currency: 'USD', rate: '0.0007', taxPercent: '7.25', minimum: '5' }, units: '3333' },
        { spec: { currency: 'JPY', rate: '2.5', discountPercent: '3', credits: '100' }, units: '401' },
      ];
      const invoices: Awaited<ReturnType<typeof invoiceOf>>[] = [];
      for (const p of plans) invoices.push(await invoiceOf(env, p.spec, p.units));
      const results = await Promise.all(invoices.map((i) => runInvoiceSync(env, i.invoiceId)));
      for (const [k, run] of results.entries()) {
        const { invoiceId, togaiTotal } = invoices[k]!;
        const { currency } = plans[k]!.spec;
        const result: InvoiceSyncResult = ok(run);
        const atPrecision = normalize(roundToCurrency(togaiTotal, currency));
        assert.equal(result.totals?.zuora, atPrecision, `${currency} invoice ${k}`);
        const zuora = await onlyZuoraInvoice(env, invoiceId);
        assert.equal(zuora.amount, atPrecision);
        assert.equal(zuoraSum(zuora), atPrecision, 'items, discount and taxation items add up to it');
        // Never silently lost: the report's difference is what rounding moved, to the unit.
        assert.equal(
          result.rounding?.difference,
          normalize(new Decimal(atPrecision).minus(togaiTotal)),
          `${currency} invoice ${k}`,
        );
        const digits = currency === 'JPY' ? 0 : 2;
        for (const amount of zuora.items.flatMap((i) => [
          i.amount,
          ...i.discountItems.map((d) => d.amount),
          ...i.taxItems.map((t) => t.amount),
        ]))
          assert.ok(new Decimal(amount).decimalPlaces() <= digits, `${amount} at ${currency}'s precision`);
      }
      // The plans produced every kind of line: discount, tax, true-up and credit.
      const kinds = await Promise.all(invoices.map((i) => onlyZuoraInvoice(env, i.invoiceId)));
      assert.ok(
        kinds.some((z) => z.items.some((i) => i.taxItems.length > 0)),
        'a taxation item',
      );
      assert.ok(
        kinds.some((z) => z.items.some((i) => i.discountItems.length > 0)),
        'a discount item',
      );
      assert.ok(
        kinds.some((z) => z.items.some((i) => /Minimum commitment/.test(i.chargeName))),
        'a true-up item',
      );
    });
  });

  describe('Zuora bills the usage (flows 4/5)', () => {
    let env: SimulatedConnection;
    before(async () => {
      env = await startSimulatedConnection({ connection: ZUORA_BILLS_USAGE });
    });
    after(async () => {
      await env.close();
    });

    it('a November cycle for a Los Angeles tenant: usage dated 2026-11-01 00:00 to 2026-11-30 23:59:59 in the tenant’s zone', async () => {
      const { account, invoiceId } = await invoiceOf(env, { currency: 'USD', rate: '0.5' }, '10', {
        startDate: '2026-11-01T00:00:00.000Z',
        endDate: '2026-12-01T00:00:00.000Z',
        endDateInclusive: false,
      });
      const result = ok(await runInvoiceSync(env, invoiceId));
      assert.deepEqual(result.skipped, []);
      const [usage, ...more] = await zuoraUsagesFor(env, account.zuoraAccountNumber);
      assert.equal(more.length, 0);
      // Sent without an offset, so Zuora reads it in America/Los_Angeles as written: 1 November,
      // not 31 October (what 2026-11-01T00:00:00Z would have been there).
      assert.equal(usage?.startDateTime, '2026-11-01T00:00:00');
      assert.equal(usage?.endDateTime, '2026-11-30T23:59:59');
      assert.equal(usage?.quantity, '10');
    });
  });
});
