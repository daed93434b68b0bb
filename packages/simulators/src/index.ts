/**
 * Simulators of Zuora and Togai held to the vendors' official contracts (contracts/), for the
 * service's tests, demo mode and benchmarks. Subpaths: `./zuora`, `./togai`, `./common`.
 */
export * as zuora from './zuora/index.js';
export * as togai from './togai/index.js';
export { AdminClient } from './common/admin.js';
