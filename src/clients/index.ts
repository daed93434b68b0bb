/** Typed HTTP clients for Zuora and Togai; see docs/limits.md for the client-side limits. */
export * from './errors.js';
export * from './limits.js';
export { DEFAULT_TIMEOUTS, type Timeouts } from './http.js';
export * from './zuora/index.js';
export * from './togai/index.js';
