import { isDeepStrictEqual } from 'node:util';
import {
  Connection,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
} from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { Config } from '../config.js';
import {
  invoiceSweep,
  reconciliation,
  type ReconcileConnectionInput,
  type SweepTogaiInvoicesInput,
} from '../flows/index.js';
import { SA } from '../shared/search-attributes.js';
import { createClient, temporalAddress } from './connection.js';

/**
 * The invoice sweep's Temporal Schedule, one per connection (issue 6). Ensured at worker start for
 * every connection, and after a connection is created: creating is idempotent because the
 * schedule ID is derived from the connection id and a second create throws ScheduleAlreadyRunning.
 */

export interface InvoiceSweepScheduleOptions {
  connectionId: string;
  taskQueue: string;
  intervalSeconds: number;
  overlapSeconds: number;
  /** Tests create paused schedules and trigger them by hand. */
  paused?: boolean;
  /** Tuning of every scheduled sweep (page size, batch, concurrency); defaults otherwise. */
  sweepInput?: Omit<SweepTogaiInvoicesInput, 'connectionId' | 'since' | 'resume'>;
}

export type EnsureScheduleOutcome = 'created' | 'exists' | 'updated';

function intervalMs(description: ScheduleDescription): number | undefined {
  const every = description.spec.intervals?.[0]?.every;
  return typeof every === 'number' ? every : undefined;
}

export async function ensureInvoiceSweepSchedule(
  client: Client,
  options: InvoiceSweepScheduleOptions,
): Promise<EnsureScheduleOutcome> {
  const scheduleId = invoiceSweep.scheduleId(options.connectionId);
  const args: [SweepTogaiInvoicesInput] = [
    { ...options.sweepInput, connectionId: options.connectionId, overlapMs: options.overlapSeconds * 1000 },
  ];
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: `${options.intervalSeconds}s` }] },
      action: {
        type: 'startWorkflow',
        workflowType: invoiceSweep.workflowType,
        // Scheduled runs get `{scheduleId}-{time}` IDs, so a sweep never collides with a sync.
        workflowId: scheduleId,
        taskQueue: options.taskQueue,
        args,
        workflowExecutionTimeout: '1 hour',
        typedSearchAttributes: [
          { key: SA.connectionId, value: options.connectionId },
          { key: SA.flow, value: invoiceSweep.workflowType },
        ],
      },
      // A sweep still running when the next is due: skip the next; it would list the same window.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
      state: { paused: options.paused ?? false, note: `Togai invoice sweep of ${options.connectionId}` },
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  // It exists: keep it (and its state, paused or not), but follow a changed interval or input.
  const handle = client.schedule.getHandle(scheduleId);
  const current = await handle.describe();
  const spec = { intervals: [{ every: `${options.intervalSeconds}s` }] };
  if (
    intervalMs(current) === options.intervalSeconds * 1000 &&
    isDeepStrictEqual(current.action.args, args)
  ) {
    return 'exists';
  }
  await handle.update((previous) => ({ ...previous, spec, action: { ...previous.action, args } }));
  return 'updated';
}

/**
 * Ensures the schedule of every connection; one failure does not stop the others. Returns the
 * outcome per connection id (an Error for a failure, for the caller to log).
 */
export async function ensureInvoiceSweepSchedules(
  client: Client,
  connectionIds: readonly string[],
  options: Omit<InvoiceSweepScheduleOptions, 'connectionId'>,
): Promise<Map<string, EnsureScheduleOutcome | Error>> {
  const outcomes = new Map<string, EnsureScheduleOutcome | Error>();
  for (const connectionId of connectionIds) {
    try {
      outcomes.set(connectionId, await ensureInvoiceSweepSchedule(client, { ...options, connectionId }));
    } catch (err) {
      outcomes.set(connectionId, err instanceof Error ? err : new Error(String(err)));
    }
  }
  return outcomes;
}

/** Deletes a removed connection's sweep schedule; one that is already gone is fine. */
export async function deleteInvoiceSweepSchedule(
  client: Client,
  connectionId: string,
): Promise<'deleted' | 'absent'> {
  try {
    await client.schedule.getHandle(invoiceSweep.scheduleId(connectionId)).delete();
    return 'deleted';
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return 'absent';
    throw err;
  }
}

/**
 * For code without a Temporal client at hand (the CLI): deletes one connection's sweep schedule.
 * `dataConverter`: the service's (src/temporal/codec.ts), like every client's.
 */
export async function deleteInvoiceSweepScheduleFor(
  config: Config,
  connectionId: string,
  dataConverter: DataConverter,
): Promise<'deleted' | 'absent'> {
  const connection = await Connection.connect({ address: temporalAddress(config), connectTimeout: '5s' });
  try {
    return await deleteInvoiceSweepSchedule(createClient(config, connection, dataConverter), connectionId);
  } finally {
    await connection.close();
  }
}

/** The schedule options the configuration gives (task queue, interval, overlap). */
export function sweepScheduleSettings(config: Config): Omit<InvoiceSweepScheduleOptions, 'connectionId'> {
  return {
    taskQueue: config.temporal.taskQueue,
    intervalSeconds: config.invoiceSweep.intervalSeconds,
    overlapSeconds: config.invoiceSweep.overlapSeconds,
  };
}

/**
 * For code without a Temporal client at hand (a connection just created, demo mode): ensures the
 * connection's sweep schedule over a connection of its own, closed afterwards. The schedule's
 * action input is encrypted with `dataConverter` (src/temporal/codec.ts).
 */
export async function ensureInvoiceSweepScheduleFor(
  config: Config,
  connectionId: string,
  dataConverter: DataConverter,
): Promise<EnsureScheduleOutcome> {
  const connection = await Connection.connect({ address: temporalAddress(config) });
  try {
    return await ensureInvoiceSweepSchedule(createClient(config, connection, dataConverter), {
      ...sweepScheduleSettings(config),
      connectionId,
    });
  } finally {
    await connection.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Reconciliation (issue 13): one schedule per connection, `reconciliation:{connectionId}`.

export interface ReconciliationScheduleOptions {
  connectionId: string;
  taskQueue: string;
  /** Hours between runs: the connection's `reconciliation.everyHours` setting. */
  everyHours: number;
  /** Tests create paused schedules and trigger them by hand. */
  paused?: boolean;
}

/**
 * Creates the connection's reconciliation schedule, or follows a changed interval; idempotent
 * (deterministic ID). Scheduled runs take only the connection id: the period, lookback and repair
 * switch are read from the connection when each run starts, so a changed setting applies to the
 * next run without touching the schedule.
 */
export async function ensureReconciliationSchedule(
  client: Client,
  options: ReconciliationScheduleOptions,
): Promise<EnsureScheduleOutcome> {
  const scheduleId = reconciliation.scheduleId(options.connectionId);
  const args: [ReconcileConnectionInput] = [{ connectionId: options.connectionId }];
  const spec = { intervals: [{ every: `${options.everyHours}h` as const }] };
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      action: {
        type: 'startWorkflow',
        workflowType: reconciliation.workflowType,
        workflowId: scheduleId,
        taskQueue: options.taskQueue,
        args,
        workflowExecutionTimeout: '12 hours',
        typedSearchAttributes: [
          { key: SA.connectionId, value: options.connectionId },
          { key: SA.flow, value: reconciliation.workflowType },
        ],
      },
      // A run still going when the next is due: skip the next (it would compare the same period).
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '10 minutes' },
      state: {
        paused: options.paused ?? false,
        note: `Reconciliation of ${options.connectionId} (tzs reconcile report --connection ${options.connectionId})`,
      },
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = client.schedule.getHandle(scheduleId);
  const current = await handle.describe();
  if (
    intervalMs(current) === options.everyHours * 3_600_000 &&
    current.action.type === 'startWorkflow' &&
    current.action.taskQueue === options.taskQueue
  ) {
    return 'exists';
  }
  await handle.update((previous) => ({
    ...previous,
    spec,
    action: { ...previous.action, taskQueue: options.taskQueue, args },
  }));
  return 'updated';
}

/**
 * Ensures the reconciliation schedule of every connection, each at its own interval (`everyHours`
 * resolves it from the connection's settings); one failure does not stop the others.
 */
export async function ensureReconciliationSchedules(
  client: Client,
  connectionIds: readonly string[],
  options: { taskQueue: string; everyHours: (connectionId: string) => Promise<number> },
): Promise<Map<string, EnsureScheduleOutcome | Error>> {
  const outcomes = new Map<string, EnsureScheduleOutcome | Error>();
  for (const connectionId of connectionIds) {
    try {
      const everyHours = await options.everyHours(connectionId);
      outcomes.set(
        connectionId,
        await ensureReconciliationSchedule(client, {
          connectionId,
          taskQueue: options.taskQueue,
          everyHours,
        }),
      );
    } catch (err) {
      outcomes.set(connectionId, err instanceof Error ? err : new Error(String(err)));
    }
  }
  return outcomes;
}

/** Deletes a removed connection's reconciliation schedule; one already gone is fine. */
export async function deleteReconciliationSchedule(
  client: Client,
  connectionId: string,
): Promise<'deleted' | 'absent'> {
  try {
    await client.schedule.getHandle(reconciliation.scheduleId(connectionId)).delete();
    return 'deleted';
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return 'absent';
    throw err;
  }
}

/** For code without a Temporal client at hand (the CLI): deletes one connection's reconciliation schedule. */
export async function deleteReconciliationScheduleFor(
  config: Config,
  connectionId: string,
  dataConverter: DataConverter,
): Promise<'deleted' | 'absent'> {
  const connection = await Connection.connect({ address: temporalAddress(config), connectTimeout: '5s' });
  try {
    return await deleteReconciliationSchedule(createClient(config, connection, dataConverter), connectionId);
  } finally {
    await connection.close();
  }
}

/** For code without a Temporal client at hand (demo mode): ensures one connection's reconciliation schedule. */
export async function ensureReconciliationScheduleFor(
  config: Config,
  connectionId: string,
  everyHours: number,
  dataConverter: DataConverter,
): Promise<EnsureScheduleOutcome> {
  const connection = await Connection.connect({ address: temporalAddress(config) });
  try {
    return await ensureReconciliationSchedule(createClient(config, connection, dataConverter), {
      connectionId,
      taskQueue: config.temporal.taskQueue,
      everyHours,
    });
  } finally {
    await connection.close();
  }
}
