/** The Togai simulator: build it in-process (`createTogaiSimulator`) or listen (`startTogaiSimulator`). */
export * from './simulator.js';
export { DEMO_SEED } from './demo-seed.js';
export type { TogaiSeed } from './seed.js';
export type { TogaiStoreSnapshot } from './store.js';
export { togaiSignatureHeader, verifyTogaiSignature } from './webhooks.js';
