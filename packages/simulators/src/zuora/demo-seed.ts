import type { SeedInput } from './options.js';

/**
 * The Zuora half of the demo tenant (demo mode of `npm start`), matching the Togai simulator's
 * DEMO_SEED: the Zuora account of Togai's `ACC-DEMO-1` (it carries the Togai ids in the custom
 * fields the flows look accounts up by, as after a flow-2 sync) and one active subscription whose
 * usage charges are the product rate plan charges the demo usage meters name in their settings
 * (`PRPC-00000001` for API calls in Each, `PRPC-00000002` for storage in GB), so flows 4 and 5
 * have somewhere to put usage records.
 */
export const DEMO_ZUORA_ACCOUNT_NUMBER = 'A-DEMO-1';
export const DEMO_ZUORA_SUBSCRIPTION_NUMBER = 'A-S-DEMO-1';

export const DEMO_ZUORA_SEED: SeedInput = {
  accounts: [
    {
      accountNumber: DEMO_ZUORA_ACCOUNT_NUMBER,
      name: 'Demo Account',
      currency: 'USD',
      billToContact: {
        firstName: 'Demo',
        lastName: 'Billing',
        workEmail: 'billing@demo.example',
        address1: '1 Demo Street',
        city: 'Springfield',
        country: 'United States',
      },
      TogaiCustomerId__c: 'CUST-DEMO-1',
      TogaiAccountId__c: 'ACC-DEMO-1',
    },
  ],
  subscriptions: [
    {
      subscriptionNumber: DEMO_ZUORA_SUBSCRIPTION_NUMBER,
      accountKey: DEMO_ZUORA_ACCOUNT_NUMBER,
      ratePlans: [
        {
          id: 'rp-demo-1',
          productRatePlanId: 'prp-demo-usage',
          ratePlanName: 'Usage',
          productName: 'Demo usage',
          ratePlanCharges: [
            {
              id: 'rpc-demo-api-calls',
              number: 'C-DEMO-API-CALLS',
              name: 'API calls',
              productRatePlanChargeId: 'prpc-demo-api-calls',
              productRatePlanChargeNumber: 'PRPC-00000001',
              uom: 'Each',
            },
            {
              id: 'rpc-demo-storage',
              number: 'C-DEMO-STORAGE',
              name: 'Storage',
              productRatePlanChargeId: 'prpc-demo-storage',
              productRatePlanChargeNumber: 'PRPC-00000002',
              uom: 'GB',
            },
          ],
        },
      ],
    },
  ],
};
