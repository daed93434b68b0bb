import type { TogaiSeed } from './seed.js';

/**
 * What `npm run sim:togai` starts with (unless TOGAI_SIM_SEED_FILE or TOGAI_SIM_DEMO_SEED=0 say
 * otherwise): two usage meters, one per-unit and one tiered, priced in USD and EUR, each with
 * settings naming the Zuora product rate plan charge it is rated by (namespace `zuora`, as a
 * connection's default), and one customer with an account.
 */
export const DEMO_SEED: TogaiSeed = {
  usageMeters: [
    {
      id: 'um.api_calls',
      name: 'api_calls',
      displayName: 'API calls',
      aggregation: 'COUNT',
      eventSchemaName: 'api_call',
      settings: [
        {
          id: 'zuora_product_rate_plan_charge',
          namespace: 'zuora',
          name: 'Zuora product rate plan charge',
          dataType: 'STRING',
          value: 'PRPC-00000001',
        },
        {
          id: 'zuora_uom',
          namespace: 'zuora',
          name: 'Zuora unit of measure',
          dataType: 'STRING',
          value: 'Each',
        },
      ],
    },
    {
      id: 'um.storage_gb',
      name: 'storage_gb',
      displayName: 'Storage (GB)',
      aggregation: 'SUM',
      computations: [{ computation: 'gigabytes', order: 1 }],
      eventSchemaName: 'storage',
      settings: [
        {
          id: 'zuora_product_rate_plan_charge',
          namespace: 'zuora',
          name: 'Zuora product rate plan charge',
          dataType: 'STRING',
          value: 'PRPC-00000002',
        },
        {
          id: 'zuora_uom',
          namespace: 'zuora',
          name: 'Zuora unit of measure',
          dataType: 'STRING',
          value: 'GB',
        },
      ],
    },
  ],
  pricePlans: [
    {
      id: 'pp.standard',
      name: 'Standard',
      rateCards: [
        {
          displayName: 'API calls',
          usageMeterId: 'um.api_calls',
          ratePlan: { pricingModel: 'TIERED', slabs: [{ order: 1, startAfter: 0, priceType: 'PER_UNIT' }] },
          rateValues: [
            { currency: 'USD', slabRates: [{ order: 1, rate: '0.002' }] },
            { currency: 'EUR', slabRates: [{ order: 1, rate: '0.0018' }] },
          ],
        },
        {
          displayName: 'Storage',
          usageMeterId: 'um.storage_gb',
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
                { order: 1, rate: '5' },
                { order: 2, rate: '0.1' },
                { order: 3, rate: '0.07' },
              ],
            },
            {
              currency: 'EUR',
              slabRates: [
                { order: 1, rate: '4.5' },
                { order: 2, rate: '0.09' },
                { order: 3, rate: '0.06' },
              ],
            },
          ],
        },
      ],
    },
  ],
  defaultPricePlanId: 'pp.standard',
  customers: [
    {
      id: 'CUST-DEMO-1',
      name: 'Demo Customer',
      primaryEmail: 'billing@demo.example',
      address: { line1: '1 Demo Street', city: 'Springfield', country: 'US' },
      account: { id: 'ACC-DEMO-1', name: 'Demo Account', invoiceCurrency: 'USD' },
    },
  ],
};
