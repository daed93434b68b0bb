import type { Logger } from '../logger.js';
import type { StartSyncDeps } from '../temporal/start-sync.js';
import { createAccountActivities } from './accounts.js';
import { createBackfillActivities } from './backfill.js';
import { ResolvingClientSource, type ClientSource, type ConnectionResolver } from './connection-clients.js';
import { createInvoiceActivities } from './invoices.js';
import { acceptLegacyPositionalArgs } from './legacy-args.js';
import { createSweepActivities } from './sweep.js';
import { createReconcileActivities } from './reconcile.js';
import { ReadCaches } from './read-cache.js';

export type {
  AccountActivities,
  AccountKeyInput,
  AccountSyncSettings,
  ConnectionInput,
  CreateInput,
  FieldLookupInput,
  ZuoraAccountRef,
} from './accounts.js';
export type {
  InvoiceActivities,
  InvoiceSyncSettings,
  ZuoraInvoiceRef,
  ZuoraInvoiceSummary,
} from './invoices.js';
export type {
  InvoicePages,
  ListInvoicePagesRequest,
  StartInvoiceSyncsRequest,
  SweepActivities,
} from './sweep.js';
export type { ReconcileActivities, RepairOutcome, RepairRequest } from './reconcile.js';
export type { BackfillActivities, BackfillListRequest, BackfillRecordRequest } from './backfill.js';
export {
  ResolvingClientSource,
  type ClientSource,
  type ConnectionClients,
  type ConnectionResolver,
} from './connection-clients.js';

/**
 * Everything activities depend on, given once per worker process. Tests hand in the same
 * simulators production code talks to.
 */
export interface ActivityDeps {
  /** Clients per connection; give this or `connections`. */
  clients?: ClientSource;
  /** The connection service (or anything with its `resolve`): clients are built and cached from it. */
  connections?: ConnectionResolver;
  log?: Logger;
  /** Temporal client, task queue and budget for the syncs the sweep starts (as the gateway's). */
  startSync?: StartSyncDeps;
  /** The worker's caches of shared vendor reads (usage meter settings, account currencies). */
  readCaches?: ReadCaches;
}

/**
 * The one activities factory: every flow's activities, the sweep's included, built from one set
 * of dependencies, so one `ResolvingClientSource` (one OAuth token and one set of limiters per
 * connection) serves every activity of the worker process.
 */
export function createActivities(deps: ActivityDeps) {
  const source = deps.clients ?? (deps.connections && new ResolvingClientSource(deps.connections, deps.log));
  if (!source) {
    throw new Error('createActivities needs `clients` or `connections` to reach Zuora and Togai');
  }
  return acceptLegacyPositionalArgs({
    ...createAccountActivities(source),
    ...createInvoiceActivities(source, deps.readCaches ?? new ReadCaches()),
    ...createSweepActivities({ clients: source, startSync: deps.startSync }),
    ...createReconcileActivities({ clients: source, startSync: deps.startSync }),
    ...createBackfillActivities({ clients: source, startSync: deps.startSync }),
  });
}

export type Activities = ReturnType<typeof createActivities>;
