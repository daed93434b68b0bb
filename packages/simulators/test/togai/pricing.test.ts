import assert from 'node:assert/strict';
import { Decimal, InexactAmountError, toJsonNumber } from '../../src/togai/decimal.js';
import { TogaiApiError } from '../../src/togai/errors.js';
import { encodeToken, paginate } from '../../src/togai/pagination.js';
import {
  NoRateForCurrencyError,
  priceUsage,
  usageRateCardSchema,
  type UsageRateCardInput,
} from '../../src/togai/pricing.js';

/** 1,234 units: 15.90 flat for the first 100, 0.10 each up to 1,000, 0.075 each above: 123.45. */
const TIERED: UsageRateCardInput = {
  usageMeterId: 'um.data',
  ratePlan: {
    pricingModel: 'TIERED',
    slabs: [
      { order: 1, startAfter: 0, priceType: 'FLAT' },
      { order: 2, startAfter: 100, priceType: 'PER_UNIT' },
      { order: 3, startAfter: 1000, priceType: 'PER_UNIT' },
    ],
  },
  rateValues: [
    {
      currency: 'USD',
      slabRates: [
        { order: 1, rate: '15.90' },
        { order: 2, rate: '0.10' },
        { order: 3, rate: '0.075' },
      ],
    },
    {
      currency: 'EUR',
      slabRates: [
        { order: 1, rate: '14.50' },
        { order: 2, rate: 0.09 },
        { order: 3, rate: '0.065' },
      ],
    },
  ],
};

const card = (input: UsageRateCardInput) => usageRateCardSchema.parse(input);
const d = (v: string) => new Decimal(v);

describe('simulators/togai pricing', () => {
  it('prices 1,234 units over three tiers to exactly 123.45 USD and 110.71 EUR', () => {
    const usd = priceUsage(card(TIERED), 'USD', d('1234'));
    assert.equal(usd.value.toFixed(), '123.45');
    assert.deepEqual(
      usd.slabs.map((s) => [s.order, s.quantity.toFixed(), s.value.toFixed()]),
      [
        [1, '100', '15.9'],
        [2, '900', '90'],
        [3, '234', '17.55'],
      ],
    );
    assert.equal(usd.valuePerQuantity, undefined, 'mixed tiers have no single rate');
    assert.equal(priceUsage(card(TIERED), 'EUR', d('1234')).value.toFixed(), '110.71');
  });

  it('charges only the slabs a quantity reaches; zero costs nothing, flat slabs included', () => {
    assert.equal(priceUsage(card(TIERED), 'USD', d('0')).value.toFixed(), '0');
    assert.deepEqual(
      priceUsage(card(TIERED), 'USD', d('100')).slabs.map((s) => s.order),
      [1],
    );
    assert.equal(priceUsage(card(TIERED), 'USD', d('100.5')).value.toFixed(), '15.95');
  });

  it('per-unit pricing is exact where binary floating point is not', () => {
    const perUnit = card({
      usageMeterId: 'um.calls',
      ratePlan: { pricingModel: 'TIERED', slabs: [{ order: 1, startAfter: 0, priceType: 'PER_UNIT' }] },
      rateValues: [{ currency: 'USD', slabRates: [{ order: 1, rate: '0.07' }] }],
    });
    assert.notEqual(0.07 * 3, 0.21);
    const priced = priceUsage(perUnit, 'USD', d('3'));
    assert.equal(priced.value.toFixed(), '0.21');
    assert.equal(priced.valuePerQuantity?.toFixed(), '0.07');
    const big = priceUsage(perUnit, 'USD', d('123456789012.5'));
    assert.equal(big.value.toFixed(), '8641975230.875');
  });

  it('volume pricing charges every unit at the last slab reached; packages round up', () => {
    const volume = card({
      usageMeterId: 'um.v',
      ratePlan: {
        pricingModel: 'VOLUME',
        slabs: [
          { order: 1, startAfter: 0, priceType: 'PER_UNIT' },
          { order: 2, startAfter: 1000, priceType: 'PACKAGE', slabConfig: { packageSize: '100' } },
        ],
      },
      rateValues: [
        {
          currency: 'USD',
          slabRates: [
            { order: 1, rate: '0.01' },
            { order: 2, rate: '0.5' },
          ],
        },
      ],
    });
    assert.equal(priceUsage(volume, 'USD', d('999')).value.toFixed(), '9.99');
    const over = priceUsage(volume, 'USD', d('1234'));
    assert.equal(over.value.toFixed(), '6.5', '13 started packages of 100 at 0.5');
    assert.deepEqual(
      over.slabs.map((s) => [s.order, s.quantity.toFixed()]),
      [[2, '1234']],
    );
  });

  it('refuses a currency the rate card has no rates in', () => {
    assert.throws(() => priceUsage(card(TIERED), 'GBP', d('1')), NoRateForCurrencyError);
  });

  it('refuses malformed rate cards', () => {
    const missingRate = structuredClone(TIERED);
    missingRate.rateValues[0]?.slabRates.pop();
    assert.throws(() => card(missingRate), /no rate for slab 3/);
    const unordered = structuredClone(TIERED);
    const slab = unordered.ratePlan.slabs[2];
    if (slab) slab.startAfter = 50;
    assert.throws(() => card(unordered), /must start after/);
    assert.throws(
      () => card({ ...TIERED, rateValues: [{ currency: 'USD', slabRates: [{ order: 1, rate: '-1' }] }] }),
      /non-negative/,
    );
  });
});

describe('simulators/togai decimals on the wire', () => {
  it('turns decimals into JSON numbers whose text is the exact decimal', () => {
    assert.equal(JSON.stringify({ v: toJsonNumber(d('123.45')) }), '{"v":123.45}');
    assert.equal(JSON.stringify({ v: toJsonNumber(d('0.1').plus('0.2')) }), '{"v":0.3}');
    assert.equal(toJsonNumber('8641975230.875'), 8641975230.875);
  });

  it('refuses a decimal a double cannot carry exactly', () => {
    assert.throws(() => toJsonNumber(d('0.12345678901234567891')), InexactAmountError);
  });
});

describe('simulators/togai pagination', () => {
  const items = ['a', 'b', 'c', 'd', 'e', 'f'];
  const id = (s: string): string => s;

  it('walks pages with nextToken; a full last page still carries one, then an empty page ends', () => {
    const p1 = paginate(items, id, { pageSize: 3, defaultPageSize: 50 });
    assert.deepEqual(p1.data, ['a', 'b', 'c']);
    assert.ok(p1.nextToken);
    const p2 = paginate(items, id, { nextToken: p1.nextToken, defaultPageSize: 50 });
    assert.deepEqual(p2.data, ['d', 'e', 'f'], 'the page size travels in the token');
    assert.ok(p2.nextToken);
    const p3 = paginate(items, id, { nextToken: p2.nextToken, defaultPageSize: 50 });
    assert.deepEqual(p3, { data: [] });
    assert.deepEqual(paginate(items, id, { pageSize: 4, nextToken: p1.nextToken, defaultPageSize: 50 }), {
      data: ['d', 'e', 'f'],
    });
  });

  it('tokens look like the spec examples and bad ones are refused with 400', () => {
    const token = encodeToken('c', 3);
    assert.deepEqual(JSON.parse(Buffer.from(token, 'base64').toString('utf8')), {
      lastItemId: 'c',
      pageSize: 3,
      sortOrder: 'asc',
    });
    for (const bad of ['not-base64!', encodeToken('zzz', 3), Buffer.from('{"x":1}').toString('base64')]) {
      assert.throws(
        () => paginate(items, id, { nextToken: bad, defaultPageSize: 50 }),
        (e: unknown) => e instanceof TogaiApiError && e.status === 400,
      );
    }
  });

  it('refuses a page size above the maximum with the given status', () => {
    assert.throws(
      () => paginate(items, id, { pageSize: 51, defaultPageSize: 50, maxPageSize: 50, tooLargeStatus: 422 }),
      (e: unknown) => e instanceof TogaiApiError && e.status === 422 && /50/.test(e.message),
    );
  });
});
