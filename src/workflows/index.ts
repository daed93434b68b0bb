// The worker's workflow bundle entry: every flow is exported from here, one file per flow.
// Only deterministic code may be imported below this point (enforced by eslint.config.js).
export { syncZuoraAccountToTogai } from './sync-zuora-account-to-togai.js';
export { syncTogaiAccountToZuora } from './sync-togai-account-to-zuora.js';
export { syncTogaiInvoiceToZuora } from './sync-togai-invoice-to-zuora.js';
export { sweepTogaiInvoices } from './sweep-togai-invoices.js';
export { admitTogaiInvoices } from './admit-togai-invoices.js';
export { reconcileConnection } from './reconcile.js';
export { backfill } from './backfill.js';
