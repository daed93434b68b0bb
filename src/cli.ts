#!/usr/bin/env node
/**
 * `tzs`: the operator's command line. `tzs connections …` manages connections through the same
 * ConnectionService as the admin API, talking to the store directly (same DATA_DIR /
 * DATABASE_URL and encryption key as the service). `--json` prints machine-readable output.
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { getConfig } from './config.js';
import { createDefaultVerifier } from './connections/default-verifier.js';
import {
  ConnectionConflictError,
  ConnectionNotFoundError,
  ConnectionValidationError,
  CredentialVerificationError,
} from './connections/errors.js';
import { openConnections, type Connections } from './connections/open.js';
import type { ConnectionView, ConnectionWithSetup, TestResult, WebhookSetup } from './connections/service.js';
import { createLogger } from './logger.js';
import { isMain } from './shared/process.js';

type Out = (text: string) => void;
const out: Out = (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`);

async function withConnections<T>(fn: (c: Connections) => Promise<T>): Promise<T> {
  const config = getConfig();
  // Logs go to stderr: stdout is for results (and must stay parseable with --json). The service's
  // info lines ("connection created") repeat what the CLI prints, so info means warn here.
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr);
  const connections = await openConnections(config, log, createDefaultVerifier());
  try {
    return await fn(connections);
  } finally {
    await connections.close();
  }
}

function int(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name}: expected ${min}..${max}`);
    return n;
  };
}
function positive(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

/** A connection document (JSON or YAML) from a file or stdin (`-`): keeps secrets out of argv. */
function readDocument(path: string): Record<string, unknown> {
  const text = readFileSync(path === '-' ? 0 : path, 'utf8');
  const doc: unknown = parseYaml(text);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConnectionValidationError([`${path}: expected a JSON or YAML object`]);
  }
  return doc as Record<string, unknown>;
}

/** Flags win over the file; undefined flags leave the file's value. */
function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = result[k];
    result[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
        ? merge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return result;
}

function prune(o: Record<string, unknown>): Record<string, unknown> | undefined {
  const entries = Object.entries(o)
    .map(([k, v]): [string, unknown] => [
      k,
      v && typeof v === 'object' && !Array.isArray(v) ? prune(v as Record<string, unknown>) : v,
    ])
    .filter(([, v]) => v !== undefined);
  return entries.length ? Object.fromEntries(entries) : undefined;
}

interface SettingsFlags {
  name?: string;
  zuoraEndpoint?: string;
  customEndpoint?: boolean;
  zuoraClientId?: string;
  zuoraClientSecret?: string;
  zuoraConcurrency?: number;
  invoiceStatus?: string;
  billCycleDay?: number;
  paymentTerm?: string;
  fieldCustomerId?: string;
  fieldAccountId?: string;
  fieldInvoiceId?: string;
  fieldUnitAmount?: string;
  togaiBaseUrl?: string;
  togaiApiToken?: string;
  togaiRps?: number;
  settingsNamespace?: string;
  usageSyncMode?: string;
  zuoraWebhookAuth?: string;
  file?: string;
  json?: boolean;
}

function settingsFromFlags(f: SettingsFlags): Record<string, unknown> {
  return (
    prune({
      name: f.name,
      zuora: {
        endpoint: f.zuoraEndpoint,
        customEndpoint: f.customEndpoint,
        clientId: f.zuoraClientId,
        clientSecret: f.zuoraClientSecret,
        concurrency: f.zuoraConcurrency,
        invoiceStatus: f.invoiceStatus,
        defaultBillCycleDay: f.billCycleDay,
        defaultPaymentTerm: f.paymentTerm,
        customFields: {
          accountTogaiCustomerId: f.fieldCustomerId,
          accountTogaiAccountId: f.fieldAccountId,
          invoiceTogaiInvoiceId: f.fieldInvoiceId,
          usageUnitAmount: f.fieldUnitAmount,
        },
      },
      togai: {
        baseUrl: f.togaiBaseUrl,
        apiToken: f.togaiApiToken,
        requestsPerSecond: f.togaiRps,
        settingsNamespace: f.settingsNamespace,
      },
      usageSyncMode: f.usageSyncMode,
      webhooks: { zuoraAuth: f.zuoraWebhookAuth },
    }) ?? {}
  );
}

function addSettingsOptions(cmd: Command, forCreate: boolean): Command {
  cmd
    .option('-f, --file <path>', 'connection document, JSON or YAML (- for stdin); flags override it')
    .option('--name <name>', 'unique display name')
    .option('--zuora-endpoint <url>', "Zuora REST endpoint (one of Zuora's official ones)")
    .option('--custom-endpoint', 'allow a non-official Zuora endpoint (simulator or proxy)')
    .option('--zuora-client-id <id>', 'Zuora OAuth client id');
  if (forCreate) {
    cmd.option(
      '--zuora-client-secret <secret>',
      'Zuora OAuth client secret (prefer --file: argv is visible)',
    );
  }
  cmd
    .option(
      '--zuora-concurrency <n>',
      'max concurrent Zuora requests (default 40)',
      int('concurrency', 1, 200),
    )
    .addOption(
      new Option('--invoice-status <status>', 'status of invoices created in Zuora').choices([
        'Draft',
        'Posted',
      ]),
    )
    .option(
      '--bill-cycle-day <day>',
      'bill cycle day of accounts created in Zuora (default 1)',
      int('day', 1, 31),
    )
    .option('--payment-term <term>', 'payment term of accounts created in Zuora (default "Due Upon Receipt")')
    .option('--field-customer-id <name>', 'Account custom field holding the Togai customer id')
    .option('--field-account-id <name>', 'Account custom field holding the Togai account id')
    .option('--field-invoice-id <name>', 'Invoice custom field holding the Togai invoice id')
    .option('--field-unit-amount <name>', 'Usage custom field holding the per-unit amount')
    .option('--togai-base-url <url>', 'Togai API base URL, e.g. https://api.togai.com');
  if (forCreate) cmd.option('--togai-api-token <token>', 'Togai API token (prefer --file: argv is visible)');
  cmd
    .option('--togai-rps <n>', 'max Togai requests per second (default 10)', positive)
    .option('--settings-namespace <ns>', 'Togai settings namespace (default zuora)')
    .addOption(
      new Option('--usage-sync-mode <mode>', 'default usage sync mode').choices(['quantity', 'revenue']),
    );
  if (forCreate) {
    cmd.addOption(
      new Option('--zuora-webhook-auth <auth>', 'Zuora callout authentication (default basic+hmac)').choices([
        'basic',
        'hmac',
        'basic+hmac',
      ]),
    );
  }
  return cmd.option('--json', 'print JSON');
}

// ---- human output ------------------------------------------------------------------------------

function printView(c: ConnectionView): void {
  const lines = [
    `${c.id}  ${c.name}`,
    `  Zuora       ${c.zuora.endpoint}${c.zuora.customEndpoint ? '   [CUSTOM ENDPOINT: not an official Zuora endpoint]' : ''}`,
    `              client id ${c.zuora.clientId}, secret ${c.zuora.clientSecret}`,
    `              concurrency ${c.zuora.concurrency}, invoices ${c.zuora.invoiceStatus}, bill cycle day ${c.zuora.defaultBillCycleDay}, payment term "${c.zuora.defaultPaymentTerm}"`,
    `              custom fields ${Object.values(c.zuora.customFields).join(', ')}`,
    `  Togai       ${c.togai.baseUrl}  token ${c.togai.apiToken}, ${c.togai.requestsPerSecond} req/s, settings namespace ${c.togai.settingsNamespace}`,
    `  Usage sync  ${c.usageSyncMode}`,
    `  Webhooks    Zuora ${c.webhooks.zuora.url} (${c.webhooks.zuora.auth})`,
    `              Togai ${c.webhooks.togai.url}`,
    ...(c.webhooks.previousCredentialsValidUntil
      ? [
          `              previous webhook credentials accepted until ${c.webhooks.previousCredentialsValidUntil}`,
        ]
      : []),
    `  Updated     ${c.updatedAt} (version ${c.version})`,
  ];
  out(lines.join('\n'));
}

function printSetup(s: WebhookSetup): void {
  const lines = [
    '',
    "Paste into Zuora's callout template (Settings > Notifications):",
    `  URL (POST)      ${s.zuora.url}`,
    ...(s.zuora.basic
      ? [
          `  Basic auth      user ${s.zuora.basic.username}`,
          `                  password ${s.zuora.basic.password}`,
        ]
      : []),
    ...(s.zuora.hmac ? [`  HMAC secret     ${s.zuora.hmac.secret}`] : []),
    '',
    "Paste into Togai's flow (webhook action):",
    `  URL (POST)      ${s.togai.url}`,
    `  HMAC secret     ${s.togai.hmac.secret}`,
    '',
    s.notice,
  ];
  out(lines.join('\n'));
}

function printWithSetup(verb: string, r: ConnectionWithSetup, json: boolean | undefined): void {
  if (json) return out(JSON.stringify(r, null, 2));
  out(`${verb} connection ${r.connection.id}\n`);
  printView(r.connection);
  if (r.setup) printSetup(r.setup);
}

function printTest(r: TestResult): void {
  const side = (n: string, s: { ok: boolean; reason?: string }): string =>
    `  ${n}  ${s.ok ? 'OK' : `FAILED: ${s.reason ?? ''}`}`;
  out(
    [
      `${r.id}: ${r.ok ? 'credentials OK' : 'credential check FAILED'}`,
      side('Zuora', r.zuora),
      side('Togai', r.togai),
    ].join('\n'),
  );
}

// ---- program -----------------------------------------------------------------------------------

export function buildProgram(): Command {
  const program = new Command('tzs').description('togai-zuora-sync operator CLI').showHelpAfterError();
  const conns = program.command('connections').alias('conn').description('manage Zuora ⇄ Togai connections');

  addSettingsOptions(
    conns.command('add').description('add a connection (verifies both credentials)'),
    true,
  ).action(async (f: SettingsFlags) => {
    const input = merge(f.file ? readDocument(f.file) : {}, settingsFromFlags(f));
    const created = await withConnections((c) => c.service.create(input));
    printWithSetup('Created', created, f.json);
  });

  conns
    .command('list')
    .description('list connections (secrets masked)')
    .option('--json', 'print JSON')
    .action(async (f: { json?: boolean }) => {
      const list = await withConnections((c) => c.service.list());
      if (f.json) return out(JSON.stringify({ connections: list }, null, 2));
      if (list.length === 0) return out('No connections. Add one with: tzs connections add --help');
      for (const c of list) {
        out(
          `${c.id}  ${c.name}  ${c.zuora.endpoint}${c.zuora.customEndpoint ? ' [CUSTOM ENDPOINT]' : ''}  ${c.togai.baseUrl}`,
        );
      }
    });

  conns
    .command('show <id-or-name>')
    .description('show one connection (secrets masked)')
    .option('--json', 'print JSON')
    .action(async (id: string, f: { json?: boolean }) => {
      const view = await withConnections((c) => c.service.get(id));
      if (f.json) out(JSON.stringify(view, null, 2));
      else printView(view);
    });

  addSettingsOptions(
    conns
      .command('update <id-or-name>')
      .description('change settings (re-verifies the side whose endpoint changed)'),
    false,
  ).action(async (id: string, f: SettingsFlags) => {
    const { webhooks: _w, ...patch } = merge(f.file ? readDocument(f.file) : {}, settingsFromFlags(f));
    const view = await withConnections((c) => c.service.update(id, patch));
    if (f.json) out(JSON.stringify(view, null, 2));
    else printView(view);
  });

  conns
    .command('test <id-or-name>')
    .description('verify the stored Zuora and Togai credentials again (exit 1 if refused)')
    .option('--json', 'print JSON')
    .action(async (id: string, f: { json?: boolean }) => {
      const result = await withConnections((c) => c.service.test(id));
      if (f.json) out(JSON.stringify(result, null, 2));
      else printTest(result);
      if (!result.ok) process.exitCode = 1;
    });

  conns
    .command('rotate <id-or-name>')
    .description('new webhook credentials (shown once) and/or new Zuora/Togai API credentials')
    .option('--no-webhooks', 'keep the webhook credentials (only change API credentials)')
    .addOption(
      new Option('--zuora-webhook-auth <auth>', 'switch the Zuora callout authentication').choices([
        'basic',
        'hmac',
        'basic+hmac',
      ]),
    )
    .option(
      '--grace <minutes>',
      'keep the old webhook credentials valid this long (default 0)',
      int('grace', 0, 10080),
    )
    .option(
      '-f, --file <path>',
      'JSON/YAML with {zuora: {clientId?, clientSecret}, togai: {apiToken}} (- for stdin)',
    )
    .option('--zuora-client-id <id>', 'new Zuora OAuth client id (with --zuora-client-secret)')
    .option('--zuora-client-secret <secret>', 'new Zuora OAuth client secret (prefer --file)')
    .option('--togai-api-token <token>', 'new Togai API token (prefer --file)')
    .option('--json', 'print JSON')
    .action(
      async (
        id: string,
        f: {
          webhooks: boolean;
          zuoraWebhookAuth?: string;
          grace?: number;
          file?: string;
          zuoraClientId?: string;
          zuoraClientSecret?: string;
          togaiApiToken?: string;
          json?: boolean;
        },
      ) => {
        const flags =
          prune({
            webhooks: f.webhooks,
            zuoraAuth: f.zuoraWebhookAuth,
            graceMinutes: f.grace,
            zuora: { clientId: f.zuoraClientId, clientSecret: f.zuoraClientSecret },
            togai: { apiToken: f.togaiApiToken },
          }) ?? {};
        const input = merge(f.file ? readDocument(f.file) : {}, flags);
        const result = await withConnections((c) => c.service.rotate(id, input));
        printWithSetup('Rotated', result, f.json);
      },
    );

  conns
    .command('remove <id-or-name>')
    .alias('rm')
    .description('delete a connection (its webhooks stop being accepted)')
    .option('-y, --yes', 'do not ask: required, the CLI never prompts')
    .option('--json', 'print JSON')
    .action(async (id: string, f: { yes?: boolean; json?: boolean }) => {
      if (!f.yes) throw new ConnectionValidationError([`removing ${id} needs --yes`]);
      const removed = await withConnections((c) => c.service.remove(id));
      if (f.json) out(JSON.stringify({ removed }, null, 2));
      else out(`Removed connection ${removed.id} (${removed.name})`);
    });

  conns
    .command('reencrypt')
    .description('after an encryption key rotation: rewrite rows still on a retired key')
    .option('--json', 'print JSON')
    .action(async (f: { json?: boolean }) => {
      const result = await withConnections((c) => c.service.reencryptAll(c.keyring.currentKeyId));
      if (f.json) out(JSON.stringify(result, null, 2));
      else out(`Re-encrypted ${result.reencrypted.length} connection(s) with the current key`);
    });

  return program;
}

/** Operator-facing failures: a message and an exit code, never a stack trace. */
function report(err: unknown, json: boolean): number {
  const body =
    err instanceof CredentialVerificationError
      ? { error: 'credentials_refused', message: err.message, failures: err.failures }
      : err instanceof ConnectionValidationError
        ? { error: 'invalid_connection', message: err.message, problems: err.problems }
        : err instanceof ConnectionNotFoundError
          ? { error: 'not_found', message: err.message }
          : err instanceof ConnectionConflictError
            ? { error: 'conflict', message: err.message }
            : { error: 'failed', message: err instanceof Error ? err.message : String(err) };
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
