import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  backfill,
  BACKFILL_KINDS,
  type BackfillInput,
  type BackfillKind,
  type BackfillProgress,
} from '../flows/index.js';
import { checkFields, INPUT_RULES } from '../flows/inputs.js';
import { backfillHandle, queryProgress, startBackfill, updateBackfill } from '../temporal/backfill.js';
import { cliTable, out, resolveConnectionId, withTemporal } from './common.js';

/**
 * `tzs backfill …`: starts a backfill workflow (src/flows/backfill.ts) or attaches to the running
 * one, shows its progress (a bar on a terminal, plain lines otherwise) and prints a summary; and
 * pauses, resumes, cancels or shows one. The input is checked with the workflow's own rules
 * (src/flows/inputs.ts) before anything starts, naming the flag to fix. Exit code 2 when records
 * failed, so cron and CI users notice.
 */

/** The workflow input's fields as the flags that set them. */
const FLAG_OF: Record<string, string> = {
  connectionId: '--connection',
  since: '--since',
  until: '--until',
  concurrency: '--concurrency',
  pageSize: '--page-size',
  kind: '--kind',
};

/** The workflow's own input rules, answered in flag names: `--since: expected an ISO-8601 time …`. */
export function checkBackfillInput(input: BackfillInput): void {
  const rules = INPUT_RULES[backfill.workflowType] ?? {};
  const problems = checkFields(rules, input).map((p) => {
    const field = p.slice(0, p.indexOf(':'));
    return FLAG_OF[field] !== undefined ? `${FLAG_OF[field]}${p.slice(field.length)}` : p;
  });
  if (input.since !== undefined && input.until !== undefined && problems.length === 0) {
    if (Date.parse(input.until) <= Date.parse(input.since))
      problems.push('--until: expected a time after --since');
  }
  if (problems.length > 0) throw new Error(`invalid backfill: ${problems.join('; ')}`);
}

const integer = (text: string): number => {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError('expected a whole number');
  return Number(text);
};

interface RunOptions {
  connection: string;
  dryRun?: boolean;
  concurrency?: number;
  pageSize?: number;
  attach?: boolean;
  wait: boolean;
  json?: boolean;
}

function runOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--connection <id|name>', 'connection id or name')
    .option('--dry-run', 'compute what would be created or linked, with the payloads; write nothing')
    .option('--concurrency <n>', 'records in flight at once (1-100, default 10)', integer)
    .option('--page-size <n>', 'records per listing page (1-50, default 50)', integer)
    .option('--attach', 'attach to the running backfill of this kind and connection instead of starting one')
    .option('--no-wait', 'start and print the workflow ID; do not wait for the end')
    .option('--json', 'print JSON (no progress bar)');
}

export function backfillCommand(): Command {
  const cmd = new Command('backfill').description(
    'sync what existed before the connection: accounts (either way) and generated invoices',
  );
  runOptions(
    cmd
      .command('accounts')
      .description('every Zuora account to Togai (flow 1), or every Togai account to Zuora (flow 2)')
      .addOption(
        new Option('--from <side>', 'the side whose accounts are listed')
          .choices(['zuora', 'togai'])
          .default('zuora'),
      ),
  ).action(async (opts: RunOptions & { from: 'zuora' | 'togai' }) => {
    await run(opts.from === 'zuora' ? 'zuora-accounts' : 'togai-accounts', opts, {});
  });
  runOptions(
    cmd
      .command('invoices')
      .description("Togai's generated invoices whose period ends in [--since, --until) to Zuora (flows 3-5)")
      .option('--since <time>', 'ISO-8601 with offset, e.g. 2026-10-01T00:00:00Z (required unless --attach)')
      .option('--until <time>', 'ISO-8601 with offset (default: no bound)'),
  ).action(async (opts: RunOptions & { since?: string; until?: string }) => {
    if (opts.since === undefined && opts.attach !== true) {
      throw new Error(
        'invalid backfill: --since: required, an ISO-8601 time with offset (2026-11-01T00:00:00Z)',
      );
    }
    await run('togai-invoices', opts, {
      ...(opts.since !== undefined && { since: opts.since }),
      ...(opts.until !== undefined && { until: opts.until }),
    });
  });
  for (const name of ['status', 'pause', 'resume', 'cancel'] as const) {
    cmd
      .command(name)
      .description(
        name === 'status'
          ? "a backfill's progress (running) or summary (closed)"
          : `${name} the running backfill of a kind and connection`,
      )
      .requiredOption('--connection <id|name>', 'connection id or name')
      .addOption(
        new Option('--kind <kind>', 'what the backfill syncs')
          .choices([...BACKFILL_KINDS])
          .makeOptionMandatory(),
      )
      .option('--json', 'print JSON')
      .action(async (opts: { connection: string; kind: BackfillKind; json?: boolean }) => {
        const connectionId = await resolveConnectionId(opts.connection);
        await withTemporal(async (client) => {
          const handle = backfillHandle(client, opts.kind, connectionId);
          const progress = name === 'status' ? await statusOf(handle) : await updateRunning(handle, name);
          print(progress, opts.json === true);
        });
      });
  }
  return cmd;
}

async function run(
  kind: BackfillKind,
  opts: RunOptions,
  window: { since?: string; until?: string },
): Promise<void> {
  const connectionId = await resolveConnectionId(opts.connection);
  const input: BackfillInput = {
    connectionId,
    kind,
    ...window,
    ...(opts.dryRun === true && { dryRun: true }),
    ...(opts.concurrency !== undefined && { concurrency: opts.concurrency }),
    ...(opts.pageSize !== undefined && { pageSize: opts.pageSize }),
  };
  if (opts.attach !== true) checkBackfillInput(input);
  await withTemporal(async (client, taskQueue) => {
    const handle = opts.attach
      ? await attach(client, kind, connectionId)
      : await start(client, taskQueue, input);
    if (!opts.wait) {
      const answer = { workflowId: handle.workflowId, kind, connectionId };
      out(opts.json ? JSON.stringify(answer, null, 2) : `started ${handle.workflowId}`);
      return;
    }
    const summary = await follow(handle, opts.json === true);
    print(summary, opts.json === true);
    if (summary.failed.count > 0) process.exitCode = 2;
  });
}

async function start(client: Client, taskQueue: string, input: BackfillInput): Promise<WorkflowHandle> {
  try {
    return await startBackfill(client, taskQueue, input);
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new Error(
        `a ${input.kind} backfill is already running for connection ${input.connectionId} (${err.workflowId}): ` +
          `follow it with --attach, or pause/cancel it with tzs backfill pause|cancel --kind ${input.kind}`,
        { cause: err },
      );
    }
    throw err;
  }
}

async function attach(client: Client, kind: BackfillKind, connectionId: string): Promise<WorkflowHandle> {
  const handle = backfillHandle(client, kind, connectionId);
  const status = await describeStatus(handle);
  if (status === undefined)
    throw new Error(`no ${kind} backfill for connection ${connectionId} to attach to`);
  return handle;
}

async function describeStatus(handle: WorkflowHandle): Promise<string | undefined> {
  try {
    return (await handle.describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** The summary of a closed backfill, or the progress of the running one. */
async function statusOf(handle: WorkflowHandle): Promise<BackfillProgress> {
  const status = await describeStatus(handle);
  if (status === undefined) throw new Error(`no backfill ${handle.workflowId}`);
  return status === 'RUNNING' ? queryProgress(handle) : resultOf(handle);
}

async function updateRunning(
  handle: WorkflowHandle,
  update: 'pause' | 'resume' | 'cancel',
): Promise<BackfillProgress> {
  const status = await describeStatus(handle);
  if (status !== 'RUNNING') throw new Error(`no running backfill ${handle.workflowId} to ${update}`);
  return updateBackfill(handle, update);
}

/** The result, or the workflow's failure as one line (InvalidWorkflowInput names the field). */
async function resultOf(handle: WorkflowHandle): Promise<BackfillProgress> {
  try {
    return (await handle.result()) as BackfillProgress;
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const cause = err.cause;
      const why =
        cause instanceof ApplicationFailure
          ? `${cause.type ?? 'Error'}: ${cause.message}`
          : (cause?.message ?? err.message);
      throw new Error(`backfill ${handle.workflowId} failed: ${why}`, { cause: err });
    }
    throw err;
  }
}

const finished = (p: BackfillProgress): number =>
  p.synced.count + p.adopted.count + p.skipped.count + p.failed.count;
const planned = (p: BackfillProgress): number => (p.plans ? p.plans.create + p.plans.link + p.plans.skip : 0);

/** Waits for the end, showing progress on stderr: a bar on a terminal, a line every 5 s otherwise. */
async function follow(handle: WorkflowHandle, json: boolean): Promise<BackfillProgress> {
  let settled = false;
  const result = resultOf(handle).finally(() => {
    settled = true;
  });
  const tty = process.stderr.isTTY && !json;
  const bar = tty
    ? new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format:
            '{kind} [{bar}] {value}/{total} | {phase} | synced {synced} adopted {adopted} skipped {skipped} failed {failed}',
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let lastLine = 0;
  let barStarted = false;
  while (!settled) {
    const p = await queryProgress(handle).catch(() => undefined);
    if (p) {
      const done = p.dryRun ? planned(p) + p.failed.count : finished(p);
      const payload = {
        kind: p.kind,
        phase: p.phase,
        synced: p.synced.count,
        adopted: p.adopted.count,
        skipped: p.skipped.count,
        failed: p.failed.count,
      };
      if (bar) {
        if (!barStarted) {
          bar.start(Math.max(p.seen, 1), done, payload);
          barStarted = true;
        } else {
          bar.setTotal(Math.max(p.seen, 1));
          bar.update(done, payload);
        }
      } else if (!json && Date.now() - lastLine >= 5000) {
        lastLine = Date.now();
        process.stderr.write(
          `${p.kind}: ${done}/${p.seen} ${p.phase}, synced ${p.synced.count}, adopted ${p.adopted.count}, skipped ${p.skipped.count}, failed ${p.failed.count}\n`,
        );
      }
    }
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
  }
  bar?.stop();
  return result;
}

/** The summary: JSON (everything, payloads included) or tables of counts and of IDs with reasons. */
function print(p: BackfillProgress, json: boolean): void {
  if (json) {
    out(JSON.stringify(p, null, 2));
    return;
  }
  const counts = cliTable({
    head: ['backfill', `${p.kind} ${p.connectionId}${p.dryRun ? ' (dry run)' : ''}`],
  });
  counts.push(
    ['phase', p.phase + (p.paused ? ' (paused)' : '')],
    ['seen', p.seen],
    ['synced (created)', p.synced.count],
    ['adopted (linked)', p.adopted.count],
    ['skipped', p.skipped.count],
    ['failed', p.failed.count],
    ['in flight / queued', `${p.inFlight} / ${p.queued}`],
    ['abandoned (cancelled)', p.abandoned.length],
    ['runs (continue-as-new)', p.run],
  );
  if (p.plans)
    counts.push(['would create / link / skip', `${p.plans.create} / ${p.plans.link} / ${p.plans.skip}`]);
  out(counts.toString());
  const rows = (title: string, records: { id: string; reason: string }[], total: number): void => {
    if (records.length === 0) return;
    const table = cliTable({ head: [title, 'reason'], colWidths: [36, 90], wordWrap: true });
    for (const r of records.slice(-50)) table.push([r.id, r.reason]);
    out(table.toString());
    if (total > 50) out(`… and ${total - 50} more ${title} (all: --json, or tzs backfill status --json)`);
  };
  rows('failed', p.failed.records, p.failed.count);
  rows('skipped', p.skipped.records, p.skipped.count);
  if (p.plans) {
    const table = cliTable({
      head: ['action', 'id', 'target', 'reason'],
      colWidths: [8, 44, 40, 60],
      wordWrap: true,
    });
    for (const plan of p.plans.records.slice(0, 50))
      table.push([plan.action, plan.id, plan.target, plan.reason]);
    out(table.toString());
    const planned = p.plans.create + p.plans.link + p.plans.skip;
    if (planned > 50)
      out(`… and ${planned - 50} more planned records (all of them, with their payloads: --json)`);
    else out('payloads: --json');
  }
  for (const w of p.warnings) out(`warning: ${w}`);
}
