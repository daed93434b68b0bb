/** Shared simulator infrastructure: contracts, clock, limits, faults, outbound deliveries, admin API, listening. */
export * from './admin.js';
export * from './clock.js';
export * from './faults.js';
export * from './limits.js';
export * from './openapi.js';
export * from './server.js';
export * from './webhooks.js';
export * from './contract-guard.js';
