import { Command, Option } from 'commander';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import {
  DRIFT_KINDS,
  reconciliation,
  type DriftItem,
  type ReconcileConnectionInput,
  type ReconcileReport,
} from '../flows/index.js';
import { SA } from '../shared/search-attributes.js';
import { cliTable, out, resolveConnectionId, withTemporal } from './common.js';

/**
 * `tzs reconcile report|run` (issue 13): the latest reconciliation report of a connection, and a
 * run started now. Exit codes are for cron and CI: 0 no drift, 2 drift found, 1 an error (no
 * report, Temporal unreachable, a run that failed).
 */

/** Exit code when the report lists drift. */
export const DRIFT_EXIT_CODE = 2;

/** Visibility rows read at most when looking for the latest completed run. */
const MAX_RUNS_SCANNED = 500;

/**
 * The result of the connection's latest completed reconciliation (scheduled or started by hand),
 * found through Temporal's visibility by `TzsConnectionId` and workflow type; undefined when none.
 */
export async function latestReport(
  client: Client,
  connectionId: string,
): Promise<ReconcileReport | undefined> {
  const query =
    `${SA.connectionId.name}="${connectionId}" AND WorkflowType="${reconciliation.workflowType}" ` +
    `AND ExecutionStatus="Completed"`;
  let latest: { workflowId: string; runId: string; closedAt: number } | undefined;
  let scanned = 0;
  for await (const wf of client.workflow.list({ query })) {
    const closedAt = wf.closeTime?.getTime() ?? 0;
    if (!latest || closedAt > latest.closedAt)
      latest = { workflowId: wf.workflowId, runId: wf.runId, closedAt };
    if (++scanned >= MAX_RUNS_SCANNED) break;
  }
  if (!latest) return undefined;
  return (await client.workflow.getHandle(latest.workflowId, latest.runId).result()) as ReconcileReport;
}

function idsText(item: DriftItem): string {
  return Object.entries(item.ids)
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`)
    .join('\n');
}

function repairText(item: DriftItem, report: ReconcileReport): string {
  if (!report.repair) return item.repairable ? 'repairable (repair off)' : 'reported only';
  if (!item.repair) return '';
  return [item.repair.status, item.repair.workflowId, item.repair.reason].filter(Boolean).join('\n');
}

/** The report for a person: a summary, a table of counts, and a table of items per kind with drift. */
export function formatReport(report: ReconcileReport): string {
  const lines = [
    `Reconciliation of connection ${report.connectionId}`,
    `Period:       ${report.period.since} .. ${report.period.until}`,
    `Ran:          ${report.startedAt}${report.finishedAt ? ` .. ${report.finishedAt}` : ' (running)'}`,
    `Billing mode: ${report.billingMode}`,
    `Repair:       ${report.repair ? `on (${report.repaired} repaired)` : 'off'}`,
    `Checked:      ${Object.entries(report.checked)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    '',
  ];
  const counts = cliTable({ head: ['Drift kind', 'Count'] });
  for (const kind of DRIFT_KINDS) counts.push([kind, String(report.counts[kind])]);
  lines.push(counts.toString(), '');
  for (const kind of DRIFT_KINDS) {
    const items = report.items.filter((i) => i.kind === kind);
    if (items.length === 0) continue;
    const listed =
      items.length < report.counts[kind] ? ` (first ${items.length} of ${report.counts[kind]})` : '';
    lines.push(`${kind}${listed}`);
    const table = cliTable({
      head: ['IDs', 'Detail', 'Repair'],
      colWidths: [44, 70, 30],
      wordWrap: true,
      wrapOnWordBoundary: false,
    });
    for (const item of items) table.push([idsText(item), item.detail, repairText(item, report)]);
    lines.push(table.toString(), '');
  }
  lines.push(report.total === 0 ? 'No drift found.' : `${report.total} drift item(s) found.`);
  return lines.join('\n');
}

function print(report: ReconcileReport, json: boolean): void {
  out(json ? JSON.stringify(report, null, 2) : formatReport(report));
  process.exitCode = report.total > 0 ? DRIFT_EXIT_CODE : 0;
}

function isoOption(name: string): (text: string) => string {
  return (text) => {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text) || !Number.isFinite(Date.parse(text))) {
      throw new RangeError(`--${name}: expected an ISO-8601 time with offset, e.g. 2026-11-01T00:00:00Z`);
    }
    return text;
  };
}

export function reconcileCommand(): Command {
  const cmd = new Command('reconcile').description(
    'compare Zuora and Togai for a connection: drift report (exit 0 none, 2 drift, 1 error)',
  );

  cmd
    .command('report')
    .description("print the connection's latest completed reconciliation report")
    .requiredOption('--connection <id|name>', 'connection id or name')
    .option('--json', 'print JSON')
    .action(async (f: { connection: string; json?: boolean }) => {
      const connectionId = await resolveConnectionId(f.connection);
      const report = await withTemporal((client) => latestReport(client, connectionId));
      if (!report) {
        throw new Error(
          `no completed reconciliation of connection ${connectionId} yet: its schedule (${reconciliation.scheduleId(connectionId)}) runs daily, or start one with \`tzs reconcile run --connection ${connectionId}\``,
        );
      }
      print(report, f.json === true);
    });

  cmd
    .command('run')
    .description('reconcile the connection now and print the report when done')
    .requiredOption('--connection <id|name>', 'connection id or name')
    .addOption(
      new Option('--since <iso>', 'period start (default: until − the lookback days)').argParser(
        isoOption('since'),
      ),
    )
    .addOption(new Option('--until <iso>', 'period end (default: now)').argParser(isoOption('until')))
    .option('--repair', "start the repairing syncs (default: the connection's reconcile-repair setting)")
    .option('--no-repair', 'report only, whatever the setting')
    .option('--json', 'print JSON')
    .action(
      async (f: { connection: string; since?: string; until?: string; repair?: boolean; json?: boolean }) => {
        const connectionId = await resolveConnectionId(f.connection);
        const input: ReconcileConnectionInput = {
          connectionId,
          ...(f.since !== undefined && { since: f.since }),
          ...(f.until !== undefined && { until: f.until }),
          ...(f.repair !== undefined && { repair: f.repair }),
        };
        const report = await withTemporal(async (client, taskQueue) => {
          const at = new Date().toISOString().replace(/[-:.]/g, '');
          const handle = await client.workflow.start(reconciliation.workflowType, {
            workflowId: reconciliation.manualWorkflowId(connectionId, at),
            taskQueue,
            args: [input],
            workflowExecutionTimeout: '12 hours',
            typedSearchAttributes: [
              { key: SA.connectionId, value: connectionId },
              { key: SA.flow, value: reconciliation.workflowType },
            ],
          });
          if (!f.json) process.stderr.write(`started ${handle.workflowId}; waiting for its report…\n`);
          try {
            return (await handle.result()) as ReconcileReport;
          } catch (err) {
            // The cause says what to fix (a bad --since, an unknown connection); the wrapper does not.
            if (err instanceof WorkflowFailedError && err.cause)
              throw new Error(`${handle.workflowId} failed: ${err.cause.message}`, { cause: err });
            throw err;
          }
        });
        print(report, f.json === true);
      },
    );
  return cmd;
}
