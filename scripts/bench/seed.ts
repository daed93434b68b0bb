import { DEFAULT_API_TOKEN } from '@togai-zuora-sync/simulators/togai';
import { MAPPING_SETTING } from '../../src/mapping/zuora-account-to-togai.js';
import { USAGE_METER_SETTING } from '../../src/mapping/usage-togai-to-zuora.js';

/**
 * A month-end burst on both simulators, seeded through their admin APIs (not counted as API
 * calls): three usage meters mapped to Zuora charges, `n` linked accounts (USD and EUR, one Zuora
 * subscription each holding the three charges), usage on every meter, and every cycle closed, so
 * Togai holds `n` DUE invoices with three usage lines each. Returns the invoices' ids.
 */

const NAMESPACE = 'zuora';
const setting = (id: string, value: string) => ({
  id,
  namespace: NAMESPACE,
  name: id,
  dataType: 'STRING',
  value,
});

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${url}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

const METERS = [
  { key: 'calls', charge: 'PRPC-BENCH-CALLS', aggregation: 'COUNT', rate: { USD: '0.002', EUR: '0.0018' } },
  { key: 'seats', charge: 'PRPC-BENCH-SEATS', aggregation: 'COUNT', rate: { USD: '12', EUR: '11' } },
  { key: 'gb', charge: 'PRPC-BENCH-GB', aggregation: 'SUM', rate: { USD: '0.1', EUR: '0.09' } },
] as const;

export interface SeedProgress {
  (done: number, total: number): void;
}

export async function seedBurst(
  zuoraUrl: string,
  togaiUrl: string,
  n: number,
  progress: SeedProgress = () => undefined,
): Promise<string[]> {
  const tags = await seedLinkedAccounts(zuoraUrl, togaiUrl, n);
  const invoices: string[] = [];
  for (let from = 0; from < n; from += 250) {
    invoices.push(...(await closeCycles(togaiUrl, tags.slice(from, from + 250))));
    progress(invoices.length, n);
  }
  return invoices;
}

/** The usage each seeded account has on each meter: what its Zuora usage records must carry. */
export function expectedQuantities(tag: string): Record<string, string> {
  const t = Number(tag);
  return {
    'um.bench.calls': String(1 + (t % 4)),
    'um.bench.seats': '1',
    'um.bench.gb': `${(t % 97) + 1}.25`,
  };
}

/** Closes the cycles of the seeded accounts with these tags; returns their invoices' ids in order. */
export async function closeCycles(togaiUrl: string, tags: string[]): Promise<string[]> {
  const invoices: string[] = [];
  for (const t of tags) {
    const closed = (await post(`${togaiUrl}/__admin/close-cycle`, { accountId: `acct-bench-${t}` })) as {
      invoices: { id: string }[];
    };
    const id = closed.invoices[0]?.id;
    if (id === undefined) throw new Error(`acct-bench-${t}: the closed cycle made no invoice`);
    invoices.push(id);
  }
  return invoices;
}

/**
 * The catalog, and `n` linked accounts with usage on every meter (cycles still open); returns
 * their tags (`000000`, `000001`, …).
 */
export async function seedLinkedAccounts(zuoraUrl: string, togaiUrl: string, n: number): Promise<string[]> {
  await post(`${togaiUrl}/__admin/seed`, {
    usageMeters: METERS.map((m) => ({
      id: `um.bench.${m.key}`,
      name: `bench_${m.key}`,
      displayName: m.key,
      aggregation: m.aggregation,
      ...(m.aggregation === 'SUM' && { computations: [{ computation: 'gigabytes', order: 1 }] }),
      eventSchemaName: `bench_${m.key}`,
      settings: [setting(USAGE_METER_SETTING.productRatePlanCharge, m.charge)],
    })),
    pricePlans: [
      {
        id: 'pp.bench',
        name: 'Bench plan',
        rateCards: METERS.map((m) => ({
          displayName: m.key,
          usageMeterId: `um.bench.${m.key}`,
          ratePlan: { pricingModel: 'TIERED', slabs: [{ order: 1, startAfter: 0, priceType: 'PER_UNIT' }] },
          rateValues: (['USD', 'EUR'] as const).map((currency) => ({
            currency,
            slabRates: [{ order: 1, rate: m.rate[currency] }],
          })),
        })),
      },
    ],
  });

  const BATCH = 250;
  const all: string[] = [];
  for (let from = 0; from < n; from += BATCH) {
    const tags = Array.from({ length: Math.min(BATCH, n - from) }, (_, i) =>
      String(from + i).padStart(6, '0'),
    );
    const currency = (tag: string) => (Number(tag) % 2 === 0 ? 'USD' : 'EUR');
    await post(`${togaiUrl}/__admin/seed`, {
      accountPricePlans: Object.fromEntries(tags.map((t) => [`acct-bench-${t}`, 'pp.bench'])),
      customers: tags.map((t) => ({
        id: `cust-bench-${t}`,
        name: `Bench customer ${t} — Müller & Søn`,
        primaryEmail: `billing-${t}@example.com`,
        address: { line1: `${t} Main St`, city: 'Springfield', country: 'US' },
        account: {
          id: `acct-bench-${t}`,
          name: `Bench account ${t}`,
          invoiceCurrency: currency(t),
          settings: [setting(MAPPING_SETTING.zuoraAccountId, `Z-BENCH-${t}`)],
        },
      })),
    });
    await post(`${zuoraUrl}/__admin/seed`, {
      accounts: tags.map((t) => ({
        accountNumber: `Z-BENCH-${t}`,
        name: `Bench account ${t}`,
        currency: currency(t),
        billToContact: {
          firstName: 'Ada',
          lastName: 'Lovelace',
          workEmail: `billing-${t}@example.com`,
          country: 'US',
        },
        TogaiAccountId__c: `acct-bench-${t}`,
      })),
      subscriptions: tags.map((t) => ({
        subscriptionNumber: `A-SBENCH-${t}`,
        accountKey: `Z-BENCH-${t}`,
        ratePlans: [
          {
            id: `rp-bench-${t}`,
            productRatePlanId: 'prp-bench',
            ratePlanCharges: METERS.map((m) => ({
              id: `${m.key}-bench-${t}`,
              number: `C-${m.key}-${t}`,
              productRatePlanChargeId: `${m.charge}-id`,
              productRatePlanChargeNumber: m.charge,
            })),
          },
        ],
      })),
    });
    const timestamp = new Date().toISOString();
    const events = tags.flatMap((t) => [
      ...Array.from({ length: Number(expectedQuantities(t)['um.bench.calls']) }, (_, i) => ({
        schemaName: 'bench_calls',
        id: `calls-${t}-${i}`,
        timestamp,
        accountId: `acct-bench-${t}`,
        attributes: [],
        dimensions: {},
      })),
      {
        schemaName: 'bench_seats',
        id: `seats-${t}`,
        timestamp,
        accountId: `acct-bench-${t}`,
        attributes: [],
        dimensions: {},
      },
      {
        schemaName: 'bench_gb',
        id: `gb-${t}`,
        timestamp,
        accountId: `acct-bench-${t}`,
        attributes: [{ name: 'gigabytes', value: expectedQuantities(t)['um.bench.gb'] ?? '0' }],
        dimensions: {},
      },
    ]);
    // Togai takes at most 500 events per ingestBatch call.
    for (let i = 0; i < events.length; i += 500) {
      await post(
        `${togaiUrl}/ingestBatch`,
        { events: events.slice(i, i + 500) },
        { authorization: `Bearer ${DEFAULT_API_TOKEN}` },
      );
    }
    all.push(...tags);
  }
  return all;
}

/** The Zuora usage key of each of an invoice's records, as the flow writes it (`tzs2:usage:<inv>:<meter>`). */
export const USAGE_LINES_PER_INVOICE = METERS.length;
