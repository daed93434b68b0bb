/** The Zuora simulator: build it in-process (`createZuoraSimulator`) or listen (`startZuoraSimulator`). */
export * from './options.js';
export * from './simulator.js';
export { WWW_AUTHENTICATE } from './oauth.js';
export { MAX_INVOICE_ITEMS } from './invoices.js';
export { zuoraOptionsFromEnv } from './main.js';
export { ZuoraTestClient, type ApiResponse, type CallOptions } from './test-client.js';
