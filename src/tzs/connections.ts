import { Command, InvalidArgumentError, Option } from 'commander';
import { ConnectionValidationError } from '../connections/errors.js';
import { billingMode, settingFlags, type Flows, type SettingFlag } from '../connections/settings.js';
import type {
  ConnectionView,
  ConnectionWithSetup,
  TestResult,
  WebhookSetup,
} from '../connections/service.js';
import { getConfig } from '../config.js';
import { deleteInvoiceSweepScheduleFor, deleteReconciliationScheduleFor } from '../temporal/schedules.js';
import { cliDataConverter, merge, out, prune, readDocument, setPath, withConnections } from './common.js';

/**
 * `tzs connections …`: manages connections through the same ConnectionService as the admin API,
 * talking to the store directly. The settings flags are derived from the one settings shape
 * (src/connections/settings.ts), so a new setting is a new flag without touching this file.
 */

/** commander's camelCase attribute of a flag: `zuora-endpoint <url>` → `zuoraEndpoint`. */
function attributeOf(flag: SettingFlag): string {
  const name = flag.meta.flag.split(' ')[0] ?? '';
  return name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function addSettingsOptions(cmd: Command, forCreate: boolean): Command {
  cmd.option('-f, --file <path>', 'connection document, JSON or YAML (- for stdin); flags override it');
  for (const flag of settingFlags()) {
    if (flag.meta.createOnly && !forCreate) continue;
    const help =
      forCreate && flag.defaultText !== undefined
        ? `${flag.meta.help} (default ${flag.defaultText})`
        : flag.meta.help;
    const option = new Option(`--${flag.meta.flag}`, help);
    if (flag.choices) option.choices(flag.choices);
    const parse = flag.parse;
    if (parse) {
      option.argParser((text: string) => {
        try {
          return parse(text);
        } catch (err) {
          throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
        }
      });
    }
    cmd.addOption(option);
  }
  return cmd.option('--json', 'print JSON');
}

/**
 * A validation problem as the CLI user can act on it: `zuora.clientId: …` names its flag, and a
 * value the command needs but did not get says which flags give it (a whole missing branch, such
 * as `zuora`, lists its required flags).
 */
export function problemForCli(problem: string): string {
  const colon = problem.indexOf(': ');
  if (colon < 0) return withFlagNames(problem);
  const path = problem.slice(0, colon);
  const message = problem.slice(colon + 2);
  const flags = settingFlags();
  const missing = /received undefined/.test(message);
  const exact = flags.find((f) => f.path.join('.') === path);
  if (exact)
    return `--${exact.meta.flag.split(' ')[0]}: ${missing ? 'missing (give the flag, or set it in --file)' : withFlagNames(message)}`;
  // Only what a connection cannot go without: optional and defaulted settings are not "missing".
  const under = flags.filter(
    (f) => f.path.join('.').startsWith(`${path}.`) && !f.optional && !f.meta.createOnly && !f.meta.secret,
  );
  const secrets = flags.filter((f) => f.path.join('.').startsWith(`${path}.`) && f.meta.secret);
  if (missing && under.length + secrets.length > 0) {
    const names = [...under, ...secrets].map((f) => `--${f.meta.flag.split(' ')[0]}`);
    return `${path}: missing: give ${names.join(', ')} (or set them in --file)`;
  }
  return withFlagNames(problem);
}

/** A service message in the CLI's words: each setting path it names (`flows.invoices`) as its flag. */
function withFlagNames(text: string): string {
  let out = text;
  for (const f of settingFlags()) {
    const path = f.path.join('.').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`(?<![\\w.-])${path}(?![\\w])`, 'g'), `--${f.meta.flag.split(' ')[0]}`);
  }
  return out;
}

/** The create/update document the flags describe (undefined flags leave the file's value). */
function documentFromFlags(flags: Record<string, unknown>): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  for (const flag of settingFlags()) setPath(doc, flag.path, flags[attributeOf(flag)]);
  return prune(doc) ?? {};
}

function printView(c: ConnectionView): void {
  const lines = [
    `${c.id}  ${c.name}`,
    `  Zuora       ${c.zuora.endpoint}${c.zuora.customEndpoint ? '   [CUSTOM ENDPOINT: not an official Zuora endpoint]' : ''}`,
    `              client id ${c.zuora.clientId}, secret ${c.zuora.clientSecret}`,
    `              concurrency ${c.zuora.concurrency}, invoices ${c.zuora.invoiceStatus}, bill cycle day ${c.zuora.defaultBillCycleDay}, payment term "${c.zuora.defaultPaymentTerm}"`,
    `              custom fields ${Object.values(c.zuora.customFields).join(', ')}`,
    `  Togai       ${c.togai.baseUrl}  token ${c.togai.apiToken}, ${c.togai.requestsPerSecond} req/s, settings namespace ${c.togai.settingsNamespace}`,
    `  Flows       ${flowsLine(c.flows)}`,
    ...(c.flowsChosen === false
      ? [
          `              NOT CHOSEN: this connection predates flow choices (v0.1 ran invoices and usage together); the defaults apply. Choose with: tzs connections update ${c.id} --flow-invoices on|off --flow-usage-quantity on|off --flow-usage-revenue on|off`,
        ]
      : []),
    `              billing mode: ${BILLING_MODE_TEXT[billingMode(c.flows)]}; meters without a mode: ${c.usageSyncMode}`,
    `              invoice syncs in flight at most: ${c.maxInFlightInvoiceSyncs ?? `${c.zuora.concurrency} (the Zuora concurrency; set with --max-in-flight-syncs)`}`,
    `  Reconcile   every ${c.reconciliation.everyHours} h over ${c.reconciliation.lookbackDays} days, repair ${c.reconciliation.repair ? 'on' : 'off'} (schedule reconciliation:${c.id}; tzs reconcile report --connection ${c.id})`,
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

const FLOW_LABELS: [keyof Flows, string][] = [
  ['zuoraAccountToTogai', '1 Zuora→Togai accounts'],
  ['togaiAccountToZuora', '2 Togai→Zuora accounts'],
  ['invoices', '3 invoices'],
  ['usageQuantity', '4 usage by quantity'],
  ['usageRevenue', '5 usage by revenue'],
];

function flowsLine(flows: Flows): string {
  return FLOW_LABELS.map(([key, label]) => `${label} ${flows[key] ? 'on' : 'off'}`).join(', ');
}

const BILLING_MODE_TEXT: Record<ReturnType<typeof billingMode>, string> = {
  'togai-invoices': 'Togai invoices (Zuora records each generated invoice)',
  'zuora-bills-usage': "Zuora bills the usage Togai rated (usage records on each account's subscription)",
  none: 'none (no invoice or usage flow is on)',
};

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
      `${r.id}: ${r.ok ? 'credentials and Zuora custom fields OK' : 'check FAILED'}`,
      side('Zuora', r.zuora),
      side('Togai', r.togai),
    ].join('\n'),
  );
}

function grace(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 10080) throw new InvalidArgumentError('grace: expected 0..10080');
  return n;
}

type Flags = Record<string, unknown> & { file?: string; json?: boolean };

export function connectionsCommand(): Command {
  const conns = new Command('connections').alias('conn').description('manage Zuora ⇄ Togai connections');

  addSettingsOptions(
    conns.command('add').description('add a connection (verifies both credentials)'),
    true,
  ).action(async (f: Flags) => {
    const input = merge(f.file ? readDocument(f.file) : {}, documentFromFlags(f));
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
  ).action(async (id: string, f: Flags) => {
    const { webhooks: _w, ...patch } = merge(f.file ? readDocument(f.file) : {}, documentFromFlags(f));
    const view = await withConnections((c) => c.service.update(id, patch));
    if (f.json) out(JSON.stringify(view, null, 2));
    else printView(view);
  });

  conns
    .command('test <id-or-name>')
    .description(
      'verify the stored Zuora and Togai credentials again, and the Zuora custom fields the flows need (exit 1 if anything is wrong)',
    )
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
    .option('--grace <minutes>', 'keep the old webhook credentials valid this long (default 0)', grace)
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
      // Its sweep schedule would fail every interval; a worker start deletes it otherwise.
      const schedule = await (async () =>
        deleteInvoiceSweepScheduleFor(getConfig(), removed.id, cliDataConverter()))().catch(
        (err: unknown) =>
          `not deleted (${err instanceof Error ? err.message : String(err)}): the schedule's next run deletes it`,
      );
      const reconciliation = await (async () =>
        deleteReconciliationScheduleFor(getConfig(), removed.id, cliDataConverter()))().catch(
        (err: unknown) =>
          `not deleted (${err instanceof Error ? err.message : String(err)}): its next run deletes it`,
      );
      if (f.json)
        out(
          JSON.stringify(
            { removed, sweepSchedule: schedule, reconciliationSchedule: reconciliation },
            null,
            2,
          ),
        );
      else
        out(
          `Removed connection ${removed.id} (${removed.name}); invoice sweep schedule ${schedule}; reconciliation schedule ${reconciliation}`,
        );
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

  return conns;
}
