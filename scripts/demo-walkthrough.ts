/**
 * `npm run demo -- <step>`: the steps of demo mode's walkthrough (src/demo.ts DEMO_WALKTHROUGH), run
 * against the simulators `npm start` runs in demo mode (DEMO_ZUORA_PORT, DEMO_TOGAI_PORT; the same
 * environment as `npm start`). Each step prints the vendor requests it makes (as a person would
 * make them with curl), then waits for the sync it starts and prints what arrived on the other side.
 *
 *   zuora-account   flow 1: an account made in Zuora's UI → a Togai customer and account
 *   togai-account   flow 2: a Togai customer with an account → a Zuora account
 *   usage           API-call and storage events for the demo account ACC-DEMO-1
 *   close-cycle     ends ACC-DEMO-1's cycle: invoice.generated → flow 3, or flows 4/5 (billing mode)
 *   show            the demo account's Zuora invoices and usage records
 *
 * Exit code 1 when a sync does not arrive (with what was seen); the vendor calls are the
 * simulators' public API plus their admin endpoints (`/__admin/ui/accounts`: Zuora's UI;
 * `/__admin/close-cycle`: the end of a Togai billing cycle).
 */
import { randomBytes } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Command } from 'commander';
import {
  DEMO_ZUORA_ACCOUNT_NUMBER,
  DEMO_ZUORA_SUBSCRIPTION_NUMBER,
  TOGAI_SYNC_CUSTOM_FIELDS,
} from '@togai-zuora-sync/simulators/zuora';
import { DEMO_SEED } from '@togai-zuora-sync/simulators/togai';
import { getConfig } from '../src/config.js';
import { togaiInvoiceToZuora, type InvoiceSyncResult } from '../src/flows/index.js';
import { togaiAccountIdFor, togaiCustomerIdFor } from '../src/mapping/zuora-account-to-togai.js';
import { usageRecordKeyPrefix } from '../src/shared/idempotency.js';
import { withTemporal } from '../src/tzs/common.js';

/** The demo's Togai API token (src/demo.ts); it protects nothing but a local simulator. */
const TOGAI_TOKEN = 'sandbox-togai-token';
const DEMO_ACCOUNT = DEMO_SEED.customers?.[0] as { account: { id: string } } | undefined;
const DEMO_TOGAI_ACCOUNT = DEMO_ACCOUNT?.account.id ?? 'ACC-DEMO-1';
const [ACCOUNT_ID_FIELD] = TOGAI_SYNC_CUSTOM_FIELDS.Account.filter((f) => f.name === 'TogaiAccountId__c');
const ACCOUNT_FIELD = ACCOUNT_ID_FIELD?.name ?? 'TogaiAccountId__c';
const INVOICE_FIELD = TOGAI_SYNC_CUSTOM_FIELDS.Invoice[0].name;
const USAGE_KEY_FIELD = TOGAI_SYNC_CUSTOM_FIELDS.Usage[0].name;
const WAIT_MS = 120_000;

const config = getConfig();
const zuoraUrl = `http://127.0.0.1:${config.demo.zuoraPort}`;
const togaiUrl = `http://127.0.0.1:${config.demo.togaiPort}`;

interface ZuoraAccount {
  id: string;
  accountNumber: string;
  name: string;
  customFields: Record<string, unknown>;
}
interface ZuoraInvoice {
  invoiceNumber: string;
  accountId: string;
  amount: string;
  currency: string;
  items: { chargeName: string; amount: string; quantity?: string }[];
  customFields: Record<string, unknown>;
}
interface ZuoraUsage {
  accountNumber: string;
  subscriptionNumber?: string;
  chargeNumber?: string;
  quantity: string;
  uom: string;
  customFields: Record<string, unknown>;
}
interface ZuoraState {
  accounts: ZuoraAccount[];
  invoices: ZuoraInvoice[];
  usages: ZuoraUsage[];
}
interface TogaiState {
  customers: { id: string; name: string }[];
  accounts: { id: string; name: string }[];
  settings: { entityType: string; entityId: string; id: string; value: string }[];
}

const print = (line = ''): void => void process.stdout.write(`${line}\n`);

async function call(method: string, url: string, body?: unknown, token?: string): Promise<unknown> {
  const shown = body === undefined ? '' : ` ${JSON.stringify(body)}`;
  if (!url.includes('/__admin/state')) print(`  → ${method} ${url}${shown}`);
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: {
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...(token && { authorization: `Bearer ${token}` }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new Error(
      `cannot reach ${url} (${err instanceof Error ? err.message : String(err)}): is \`npm start\` running in demo mode?`,
    );
  }
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: HTTP ${res.status} ${text}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

const zuoraState = async (): Promise<ZuoraState> =>
  (await call('GET', `${zuoraUrl}/__admin/state`)) as ZuoraState;
const togaiState = async (): Promise<TogaiState> =>
  (await call('GET', `${togaiUrl}/__admin/state`)) as TogaiState;

/** Polls `check` until it returns a value; throws naming `what` after WAIT_MS. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  print(`  … waiting for ${what}`);
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function zuoraAccountStep(): Promise<void> {
  const tag = randomBytes(2).toString('hex');
  print("Flow 1: an account made in Zuora (its UI); Zuora's callout reaches the gateway");
  const made = (await call('POST', `${zuoraUrl}/__admin/ui/accounts`, {
    name: `Zuora Co ${tag}`,
    currency: 'USD',
    billToContact: { firstName: 'Ada', lastName: 'Lovelace', workEmail: 'ada@example.com', country: 'US' },
  })) as { accountId: string; accountNumber: string };
  print(`  Zuora account ${made.accountNumber} (id ${made.accountId})`);
  const customerId = togaiCustomerIdFor(made.accountId);
  const accountId = togaiAccountIdFor(made.accountId);
  await waitFor(`Togai customer ${customerId} and the Togai ids on the Zuora account`, async () => {
    const [togai, zuora] = await Promise.all([togaiState(), zuoraState()]);
    const written = zuora.accounts.find((a) => a.id === made.accountId)?.customFields[ACCOUNT_FIELD];
    return togai.accounts.some((a) => a.id === accountId) && written === accountId ? true : undefined;
  });
  print(`  Linked: Zuora ${made.accountNumber} ↔ Togai customer ${customerId}, account ${accountId}`);
}

async function togaiAccountStep(): Promise<void> {
  const tag = randomBytes(2).toString('hex');
  const accountId = `demo-account-${tag}`;
  print('Flow 2: a customer with an account made in Togai; its account.created event reaches the gateway');
  await call(
    'POST',
    `${togaiUrl}/customers`,
    {
      id: `demo-customer-${tag}`,
      name: `Togai Co ${tag}`,
      primaryEmail: 'grace@example.com',
      address: { country: 'US' },
      account: { id: accountId, name: `Togai Co ${tag}`, invoiceCurrency: 'USD' },
    },
    TOGAI_TOKEN,
  );
  const account = await waitFor(`a Zuora account carrying ${ACCOUNT_FIELD} = ${accountId}`, async () =>
    (await zuoraState()).accounts.find((a) => a.customFields[ACCOUNT_FIELD] === accountId),
  );
  await waitFor(`the Zuora account id in the Togai account's settings`, async () =>
    (await togaiState()).settings.some((s) => s.entityId === accountId && s.value === account.id)
      ? true
      : undefined,
  );
  print(`  Linked: Togai account ${accountId} ↔ Zuora ${account.accountNumber} (id ${account.id})`);
}

async function usageStep(): Promise<void> {
  const calls = 250;
  const gigabytes = '150';
  const timestamp = new Date().toISOString();
  const id = randomBytes(4).toString('hex');
  print(
    `Usage for ${DEMO_TOGAI_ACCOUNT}: ${calls} API calls (meter um.api_calls) and ${gigabytes} GB stored (um.storage_gb)`,
  );
  const events = [
    ...Array.from({ length: calls }, (_, i) => ({
      schemaName: 'api_call',
      id: `call-${id}-${i}`,
      timestamp,
      accountId: DEMO_TOGAI_ACCOUNT,
      attributes: [],
      dimensions: {},
    })),
    {
      schemaName: 'storage',
      id: `gb-${id}`,
      timestamp,
      accountId: DEMO_TOGAI_ACCOUNT,
      attributes: [{ name: 'gigabytes', value: gigabytes }],
      dimensions: {},
    },
  ];
  print(`  (${events.length} events in one ingestBatch call; the first is shown)`);
  print(`  → POST ${togaiUrl}/ingestBatch {"events":[${JSON.stringify(events[0])}, …]}`);
  const res = await fetch(`${togaiUrl}/ingestBatch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOGAI_TOKEN}` },
    body: JSON.stringify({ events }),
  });
  if (!res.ok) throw new Error(`POST ${togaiUrl}/ingestBatch: HTTP ${res.status} ${await res.text()}`);
  print(`  Togai accepted them: ${await res.text()}`);
}

/** The id of the sandbox connection, from where the Togai simulator sends its webhooks. */
async function connectionId(): Promise<string> {
  const { targets } = (await call('GET', `${togaiUrl}/__admin/webhooks`)) as { targets: { url: string }[] };
  const match = targets.map((t) => /\/webhooks\/togai\/([^/]+)$/.exec(t.url)?.[1]).find((id) => id);
  if (!match)
    throw new Error('the Togai simulator sends no webhooks to a gateway: is `npm start` in demo mode?');
  return match;
}

async function closeCycleStep(): Promise<void> {
  print(
    `The end of ${DEMO_TOGAI_ACCOUNT}'s billing cycle: Togai generates the invoice and sends invoice.generated`,
  );
  const { invoices } = (await call('POST', `${togaiUrl}/__admin/close-cycle`, {
    accountId: DEMO_TOGAI_ACCOUNT,
  })) as {
    invoices: {
      id: string;
      status: string;
      totalAmount: number;
      invoiceDetails?: { account?: { invoiceCurrency?: string } };
    }[];
  };
  const invoice = invoices[0];
  if (!invoice) throw new Error('the cycle closed into no invoice');
  print(
    `  Togai invoice ${invoice.id}: ${invoice.status}, total ${invoice.totalAmount} ${invoice.invoiceDetails?.account?.invoiceCurrency ?? ''}`,
  );
  const conn = await connectionId();
  const workflowId = togaiInvoiceToZuora.workflowId(conn, invoice.id);
  const result = await withTemporal(async (client) => {
    const handle = client.workflow.getHandle(workflowId);
    await waitFor(`the invoice sync ${workflowId} to start`, async () =>
      handle.describe().then(
        () => true,
        (err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return undefined;
          throw err;
        },
      ),
    );
    return (await handle.result()) as InvoiceSyncResult;
  });
  print(
    `  Sync ${workflowId}: ${result.outcome} (${result.billingMode ?? 'no billing mode'}): ${result.reason}`,
  );
  const zuora = await zuoraState();
  const inZuora = zuora.invoices.filter((i) => i.customFields[INVOICE_FIELD] === invoice.id);
  for (const i of inZuora) printInvoice(i);
  const prefix = usageRecordKeyPrefix(invoice.id);
  const usages = zuora.usages.filter((u) => keyOf(u).startsWith(prefix));
  for (const u of usages) printUsage(u);
  if (inZuora.length === 0 && usages.length === 0)
    print('  Nothing in Zuora for this invoice (see the reason above).');
}

function printInvoice(i: ZuoraInvoice): void {
  print(
    `  Zuora invoice ${i.invoiceNumber}: ${i.amount} ${i.currency} (Togai invoice ${String(i.customFields[INVOICE_FIELD])})`,
  );
  for (const item of i.items)
    print(`      ${item.chargeName}: ${item.amount}${item.quantity ? ` (quantity ${item.quantity})` : ''}`);
}

function keyOf(u: ZuoraUsage): string {
  const key = u.customFields[USAGE_KEY_FIELD];
  return typeof key === 'string' ? key : '';
}

function printUsage(u: ZuoraUsage): void {
  print(
    `  Zuora usage on ${u.subscriptionNumber ?? '?'} ${u.chargeNumber ?? ''}: ${u.quantity} ${u.uom} (key ${keyOf(u)})`,
  );
}

async function showStep(): Promise<void> {
  const zuora = await zuoraState();
  const account = zuora.accounts.find((a) => a.accountNumber === DEMO_ZUORA_ACCOUNT_NUMBER);
  if (!account) throw new Error(`no Zuora account ${DEMO_ZUORA_ACCOUNT_NUMBER} in the simulator`);
  print(
    `Zuora account ${account.accountNumber} (Togai ${DEMO_TOGAI_ACCOUNT}), subscription ${DEMO_ZUORA_SUBSCRIPTION_NUMBER}:`,
  );
  const invoices = zuora.invoices.filter((i) => i.accountId === account.id);
  const usages = zuora.usages.filter((u) => u.accountNumber === account.accountNumber);
  print(`  ${invoices.length} invoice(s), ${usages.length} usage record(s)`);
  for (const i of invoices) printInvoice(i);
  for (const u of usages) printUsage(u);
}

const steps: Record<string, () => Promise<void>> = {
  'zuora-account': zuoraAccountStep,
  'togai-account': togaiAccountStep,
  usage: usageStep,
  'close-cycle': closeCycleStep,
  show: showStep,
};

await new Command('npm run demo --')
  .description('steps of the demo walkthrough (npm start in demo mode must be running)')
  .argument('<step>', `one of: ${Object.keys(steps).join(', ')}`)
  .action(async (step: string) => {
    const run = steps[step];
    if (!run) throw new Error(`unknown step "${step}": one of ${Object.keys(steps).join(', ')}`);
    await run();
  })
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
