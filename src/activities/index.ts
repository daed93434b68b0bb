import type { Logger } from '../logger.js';
import { createAccountActivities, type AccountActivities } from './accounts.js';
import { ResolvingClientSource, type ClientSource, type ConnectionResolver } from './connection-clients.js';
import { createInvoiceActivities, type InvoiceActivities } from './invoices.js';

export type { AccountActivities, AccountSyncSettings, ZuoraAccountRef } from './accounts.js';
export type {
  InvoiceActivities,
  InvoiceSyncSettings,
  ZuoraInvoiceRef,
  ZuoraInvoiceSummary,
} from './invoices.js';
export {
  ResolvingClientSource,
  UNKNOWN_CONNECTION,
  type ClientSource,
  type ConnectionClients,
  type ConnectionResolver,
} from './connection-clients.js';

/**
 * Activities are built from their dependencies (clients, connection store) so tests can hand
 * in the same simulators production code talks to. Each flow's activities join this object.
 */
export interface ActivityDeps {
  /** Clients per connection; give this or `connections`. */
  clients?: ClientSource;
  /** The connection service (or anything with its `resolve`): clients are built and cached from it. */
  connections?: ConnectionResolver;
  log?: Logger;
}

export type Activities = AccountActivities & InvoiceActivities;

export function createActivities(deps: ActivityDeps): Activities {
  const source = deps.clients ?? (deps.connections && new ResolvingClientSource(deps.connections, deps.log));
  if (!source) {
    throw new Error('createActivities needs `clients` or `connections` to reach Zuora and Togai');
  }
  return { ...createAccountActivities(source), ...createInvoiceActivities(source) };
}
