#!/usr/bin/env node
/**
 * `tzs`: the operator's command line. `tzs connections …` manages connections (the same service
 * as the admin API, on the same store); `tzs syncs …` lists, shows and retries syncs (Temporal). `--json` prints machine-readable output; failures print
 * one message (no stack trace) and exit 1.
 */
import { Command } from 'commander';
import { errorAnswer } from '../connections/errors.js';
import { isMain } from '../shared/process.js';
import { backfillCommand } from './backfill.js';
import { connectionsCommand, problemForCli } from './connections.js';
import { syncsCommand } from './syncs.js';
import { reconcileCommand } from './reconcile.js';

export function buildProgram(): Command {
  return new Command('tzs')
    .description('togai-zuora-sync operator CLI')
    .showHelpAfterError()
    .addCommand(connectionsCommand())
    .addCommand(syncsCommand())
    .addCommand(reconcileCommand())
    .addCommand(backfillCommand());
}

/** Operator-facing failures: the admin API's answer table, a message and an exit code. */
function report(err: unknown, json: boolean): number {
  const body = errorAnswer(err)?.body ?? {
    error: 'failed',
    message: err instanceof Error ? err.message : String(err),
  };
  if (body.problems && !json)
    body.message = `Invalid connection: ${body.problems.map(problemForCli).join('; ')}`;
  process.stderr.write(json ? `${JSON.stringify(body, null, 2)}\n` : `error: ${body.message}\n`);
  return 1;
}

if (isMain(import.meta.url)) {
  const json = process.argv.includes('--json');
  buildProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      process.exitCode = report(err, json);
    });
}
