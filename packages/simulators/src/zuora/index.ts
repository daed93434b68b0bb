/** The Zuora simulator: build it in-process (`createZuoraSimulator`) or listen (`startZuoraSimulator`). */
export * from './options.js';
export * from './simulator.js';
export { WWW_AUTHENTICATE } from './oauth.js';
export { MAX_INVOICE_ITEMS } from './invoices.js';
export { zuoraOptionsFromEnv } from './main.js';
export { ZuoraTestClient, type ApiResponse, type CallOptions } from './test-client.js';
export type { ZuoraStateSnapshot } from './state.js';
export { DEMO_ZUORA_SEED, DEMO_ZUORA_ACCOUNT_NUMBER, DEMO_ZUORA_SUBSCRIPTION_NUMBER } from './demo-seed.js';
