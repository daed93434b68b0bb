import { Command, InvalidArgumentError, Option } from 'commander';
import PQueue from 'p-queue';
import { getConfig } from '../config.js';
import { invoiceSyncBound } from '../connections/settings.js';
import { OUTCOME_REASON_KINDS, SYNC_OUTCOMES } from '../flows/index.js';
import { FAILURE } from '../shared/failures.js';
import {
  listSyncs,
  requestForWorkflowId,
  retrySync,
  showSync,
  SYNC_FLOWS,
  syncQuery,
  type RetryOutcome,
  type SyncDetail,
  type SyncFilter,
  type SyncFlowName,
  type SyncRow,
} from '../temporal/syncs.js';
import { cliTable, out, withConnections, withTemporal } from './common.js';

/**
 * `tzs syncs list|show|retry` (issue 13): the syncs of a connection by outcome or failure type,
 * one sync's linked IDs on both sides, and retries after a cause was fixed, through the same start
 * path as the webhooks (src/temporal/syncs.ts). Reads the connection store (name → id, the bound of
 * invoice syncs in flight) and Temporal (TEMPORAL_ADDRESS, else the dev server of `npm start`).
 */

const REASONS = [...OUTCOME_REASON_KINDS, ...Object.keys(FAILURE)];

function positiveInt(name: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1)
      throw new InvalidArgumentError(`${name}: expected a whole number ≥ 1, got ${text}`);
    return n;
  };
}

function filterOptions(cmd: Command, defaultLimit: number, connection: 'required' | 'optional'): Command {
  // One workflow ID to retry needs no connection flag: the ID names its connection.
  const connectionOption = new Option('-c, --connection <id|name>', 'the connection whose syncs to list');
  if (connection === 'required') connectionOption.makeOptionMandatory();
  return cmd
    .addOption(connectionOption)
    .addOption(new Option('--flow <flow>', 'only this flow').choices(Object.keys(SYNC_FLOWS)))
    .addOption(
      new Option(
        '--reason <kind>',
        'TzsOutcomeReason: a reason kind, or a failure type for failed syncs',
      ).choices(REASONS),
    )
    .option(
      '--limit <n>',
      `at most this many (default ${defaultLimit})`,
      positiveInt('--limit'),
      defaultLimit,
    )
    .option('--json', 'print JSON');
}

interface FilterFlags {
  connection: string;
  flow?: SyncFlowName;
  reason?: string;
  limit: number;
  json?: boolean;
}

/** The connection's id and its bound of invoice syncs in flight, by id or name. */
async function connectionOf(idOrName: string): Promise<{ id: string; maxInFlight: number }> {
  return withConnections(async ({ service }) => {
    const view = await service.get(idOrName);
    return { id: view.id, maxInFlight: invoiceSyncBound(view) };
  });
}

function filterOf(connectionId: string, flags: FilterFlags, outcome?: SyncFilter['outcome']): SyncFilter {
  return {
    connectionId,
    limit: flags.limit,
    ...(outcome !== undefined && { outcome }),
    ...(flags.flow !== undefined && { flow: flags.flow }),
    ...(flags.reason !== undefined && { reason: flags.reason }),
  };
}

/** The object a sync is about, as one cell: `ZA:…` Zuora account, `TA:…` Togai account, `TI:…` Togai invoice. */
function objects(r: SyncRow): string {
  return [
    r.togaiInvoiceId && `TI:${r.togaiInvoiceId}`,
    r.togaiAccountId && `TA:${r.togaiAccountId}`,
    r.zuoraAccountId && `ZA:${r.zuoraAccountId}`,
  ]
    .filter(Boolean)
    .join('\n');
}

function table(head: string[]): ReturnType<typeof cliTable> {
  return cliTable({ head });
}

function printRows(rows: SyncRow[], query: string): void {
  if (rows.length === 0) {
    out(`no syncs match (${query})`);
    return;
  }
  const t = table(['workflow ID', 'status', 'outcome', 'reason', 'objects', 'closed (UTC)']);
  for (const r of rows)
    t.push([r.workflowId, r.status, r.outcome ?? '', r.reason ?? '', objects(r), r.closeTime ?? '']);
  out(t.toString());
  out(`${rows.length} sync(s); visibility query: ${query}`);
}

function printDetail(d: SyncDetail): void {
  const t = table(['', '']);
  const result = d.result ?? {};
  const linked = [
    'zuoraAccountId',
    'zuoraAccountNumber',
    'togaiCustomerId',
    'togaiAccountId',
    'togaiInvoiceId',
    'zuoraInvoiceId',
    'zuoraInvoiceNumber',
  ]
    .map((k) => [k, result[k] ?? (d as unknown as Record<string, unknown>)[k]] as const)
    .filter(([, v]) => typeof v === 'string' && v !== '');
  t.push(
    ['workflow ID', d.workflowId],
    ['flow', d.flow],
    ['latest run', `${d.runId} (${d.status})`],
    ['outcome', [d.outcome, d.reason].filter(Boolean).join(' / ')],
    ...(typeof result['reason'] === 'string' ? [['why', result['reason']]] : []),
    ...(d.failure ? [['failure', `${d.failure.type}: ${d.failure.message}`]] : []),
    ...linked.map(([k, v]) => [k, String(v)]),
    ...(d.deliveryId ? [['started by delivery', d.deliveryId]] : []),
  );
  const usage = Array.isArray(result['usage']) ? (result['usage'] as Record<string, unknown>[]) : [];
  if (usage.length > 0)
    t.push([
      'zuora usage records',
      usage.map((u) => `${String(u['zuoraUsageId'])} (${String(u['meterId'])})`).join('\n'),
    ]);
  const skipped = Array.isArray(result['skipped']) ? (result['skipped'] as Record<string, unknown>[]) : [];
  if (skipped.length > 0)
    t.push([
      'skipped usage lines',
      skipped.map((s) => `line ${String(s['line'])}: ${String(s['reason'])}`).join('\n'),
    ]);
  t.push([
    'runs',
    d.runs
      .map(
        (r) =>
          `${r.startTime} ${r.runId} ${r.status}${r.outcome ? ` ${r.outcome}` : ''}${r.reason ? `/${r.reason}` : ''}`,
      )
      .join('\n'),
  ]);
  out(t.toString());
}

function printRetries(results: RetryOutcome[]): void {
  const t = table(['workflow ID', 'retry', 'run / why not']);
  for (const r of results) t.push([r.workflowId, r.status, r.runId ?? r.reason ?? '']);
  out(t.toString());
  const started = results.filter((r) => r.status === 'started' || r.status === 'queued').length;
  out(`${started} of ${results.length} sync(s) retried`);
}

export function syncsCommand(): Command {
  const cmd = new Command('syncs').description(
    'the syncs of a connection: list by outcome or failure type, show one, retry failed ones',
  );

  filterOptions(
    cmd
      .command('list')
      .description('syncs of a connection, newest first (latest run of each)')
      .addOption(
        new Option('--outcome <outcome>', 'only syncs that ended so').choices([...SYNC_OUTCOMES, 'running']),
      )
      .option('--all-runs', 'also earlier runs whose sync was retried since'),
    50,
    'required',
  ).action(async (flags: FilterFlags & { outcome?: SyncFilter['outcome']; allRuns?: boolean }) => {
    const { id } = await connectionOf(flags.connection);
    const filter = { ...filterOf(id, flags, flags.outcome), ...(flags.allRuns && { allRuns: true }) };
    const rows = await withTemporal((client) => listSyncs(client, filter));
    if (flags.json) out(JSON.stringify({ query: syncQuery(filter), syncs: rows }, null, 2));
    else printRows(rows, syncQuery(filter));
  });

  cmd
    .command('show <workflowId>')
    .description('one sync: its outcome, the IDs it linked on both sides, its failure, its runs')
    .option('--json', 'print JSON')
    .action(async (workflowId: string, flags: { json?: boolean }) => {
      const detail = await withTemporal((client) => showSync(client, workflowId));
      if (flags.json) out(JSON.stringify(detail, null, 2));
      else printDetail(detail);
    });

  filterOptions(
    cmd
      .command('retry [workflowId]')
      .description(
        'a new run of a failed sync (one workflow ID), or of every failed sync of a connection (--failed), after its cause was fixed',
      )
      .option(
        '--failed',
        'every sync of --connection whose latest run failed (with --reason: of that failure type)',
      )
      .option('--dry-run', 'list what would be retried; start nothing'),
    1000,
    'optional',
  ).action(
    async (
      workflowId: string | undefined,
      flags: Omit<FilterFlags, 'connection'> & { connection?: string; failed?: boolean; dryRun?: boolean },
    ) => {
      if ((workflowId === undefined) === !flags.failed) {
        throw new Error(
          'name one sync (tzs syncs retry <workflowId>) or ask for every failed one (--connection <id> --failed), not both',
        );
      }
      let ids: string[];
      let connectionId: string;
      let maxInFlight: number;
      if (workflowId !== undefined) {
        ids = [workflowId];
        connectionId = requestForWorkflowId(workflowId).input.connectionId;
        ({ maxInFlight } = await connectionOf(connectionId));
      } else {
        if (flags.connection === undefined) throw new Error('--failed needs --connection <id|name>');
        ({ id: connectionId, maxInFlight } = await connectionOf(flags.connection));
        const filter = filterOf(connectionId, { ...flags, connection: connectionId }, 'failed');
        ids = (await withTemporal((client) => listSyncs(client, filter))).map((r) => r.workflowId);
      }
      if (flags.dryRun) {
        if (flags.json) out(JSON.stringify({ wouldRetry: ids }, null, 2));
        else
          out(
            ids.length > 0
              ? `would retry ${ids.length} sync(s):\n${ids.join('\n')}`
              : 'no failed syncs match',
          );
        return;
      }
      const timeoutMs = getConfig().webhooks.temporalTimeoutMs;
      const results = await withTemporal(async (client, taskQueue) => {
        // A few at a time: a retry of thousands must not flood the frontend (invoice syncs past
        // the connection's bound wait on its admission queue, as webhooks do).
        const queue = new PQueue({ concurrency: 4 });
        return Promise.all(
          ids.map((id) =>
            queue.add(() => retrySync({ client, taskQueue, timeoutMs }, id, maxInFlight), {
              throwOnTimeout: true,
            }),
          ),
        );
      });
      if (flags.json) out(JSON.stringify({ connectionId, retries: results }, null, 2));
      else printRetries(results);
    },
  );
  return cmd;
}
