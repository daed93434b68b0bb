import assert from 'node:assert/strict';
import { exec, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Decimal } from 'decimal.js';
import { DEMO_STATE_FILE, demoWalkthroughScript } from '../../src/demo.js';
import { usageRecordKey, usageRecordKeyPrefix } from '../../src/shared/idempotency.js';
import { deleteInvoiceSweepSchedule } from '../../src/temporal/schedules.js';
import { testKeyEnv } from '../helpers/codec.js';
import { testEnv } from '../hooks.js';
import { freePort } from '../helpers/ports.js';

/**
 * Issue 13, "Demo mode shows all five flows": `npm start`'s demo mode (src/start.ts, as a child
 * process, on the suite's real Temporal dev server) and the README's walkthrough, run as written:
 * accounts both ways, usage, a closed cycle whose invoice arrives in Zuora with Togai's total, then
 * usage records by quantity and by revenue after `tzs connections update`; then a restart of the
 * demo finds the same tenant and the walkthrough goes on, and an unreadable saved state is moved
 * aside and said so. Assertions read the simulators' stored objects (their admin state).
 */

const root = fileURLToPath(new URL('../../../', import.meta.url));
const startScript = fileURLToPath(new URL('../../src/start.js', import.meta.url));
const execAsync = promisify(exec);

/** The commands of the README's demo-walkthrough block, in order, and the block's text. */
function readmeWalkthrough(): { text: string; commands: string[] } {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block =
    /<!-- demo-walkthrough:start[^>]*-->\s*```sh\n([\s\S]*?)\n```\s*<!-- demo-walkthrough:end -->/.exec(
      readme,
    );
  assert.ok(block?.[1], 'README.md has the demo-walkthrough block');
  const text = block[1];
  const commands = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  return { text, commands };
}

interface ZuoraState {
  accounts: { id: string; accountNumber: string; name: string; customFields: Record<string, unknown> }[];
  invoices: {
    id: string;
    invoiceNumber: string;
    accountId: string;
    amount: string;
    currency: string;
    items: { quantity?: string; amount: string }[];
    customFields: Record<string, unknown>;
  }[];
  usages: {
    id: string;
    accountNumber: string;
    subscriptionNumber?: string;
    quantity: string;
    customFields: Record<string, unknown>;
  }[];
  subscriptions: { subscriptionNumber: string }[];
}
interface TogaiState {
  customers: { id: string }[];
  accounts: { id: string }[];
  settings: { entityType: string; entityId: string; value: string }[];
  invoices: { id: string; ownerId: string; status: string; totalAmount: number; generatedAt?: string }[];
  events: { invoiceId?: string; accrued: Record<string, string> }[];
  usageMeters: { id: string }[];
  pricePlans: { id: string }[];
}

async function stateOf<T>(url: string): Promise<T> {
  const res = await fetch(`${url}/__admin/state`);
  assert.equal(res.status, 200);
  return (await res.json()) as T;
}

async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Per meter, what Togai accrued on an invoice (from its stored events): the usage lines' quantities. */
function accruedOn(togai: TogaiState, invoiceId: string): Map<string, Decimal> {
  const out = new Map<string, Decimal>();
  for (const e of togai.events.filter((x) => x.invoiceId === invoiceId)) {
    for (const [meter, q] of Object.entries(e.accrued))
      out.set(meter, (out.get(meter) ?? new Decimal(0)).plus(q));
  }
  return out;
}

describe('demo mode: the README walkthrough against `npm start` (issue 13)', function () {
  this.timeout(600_000);
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let child: ChildProcess | undefined;
  let output = '';
  let zuoraUrl: string;
  let togaiUrl: string;
  let connectionId: string | undefined;

  async function startDemo(): Promise<string> {
    output = '';
    const started = spawn(process.execPath, [startScript], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    started.stdout.on('data', (d: Buffer) => (output += d.toString()));
    started.stderr.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor(
      () => output.includes('Press Ctrl-C to stop') || started.exitCode !== null,
      120_000,
      'npm start',
    );
    assert.equal(started.exitCode, null, `npm start runs; output:\n${output}`);
    const id = /DEMO MODE: sandbox connection (conn_\w+)/.exec(output)?.[1];
    assert.ok(id, output);
    connectionId = id;
    return output;
  }

  async function stopDemo(): Promise<void> {
    const running = child;
    if (!running || running.exitCode !== null) return;
    running.kill('SIGINT');
    await waitFor(() => running.exitCode !== null, 60_000, 'npm start to stop');
    assert.equal(running.exitCode, 0, output);
  }

  async function sh(command: string): Promise<string> {
    try {
      return (await execAsync(command, { cwd: root, env, timeout: 180_000, shell: '/bin/bash' })).stdout;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      throw new Error(`${command} failed:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`, { cause: err });
    }
  }

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tzs-demo-'));
    const [gateway, zuora, togai] = [await freePort(), await freePort(), await freePort()];
    zuoraUrl = `http://127.0.0.1:${zuora}`;
    togaiUrl = `http://127.0.0.1:${togai}`;
    env = {
      ...process.env,
      // The suite's dev server (a real Temporal), as `npm start` uses one given TEMPORAL_ADDRESS.
      TEMPORAL_ADDRESS: testEnv().connection.options.address,
      // The suite's keys: the payloads this process writes, the suite's client reads (and back).
      ...testKeyEnv(),
      TEMPORAL_TASK_QUEUE: `demo-${Date.now()}`,
      DATA_DIR: dataDir,
      GATEWAY_PORT: String(gateway),
      GATEWAY_HOST: '127.0.0.1',
      DEMO_MODE: 'auto',
      DEMO_ZUORA_PORT: String(zuora),
      DEMO_TOGAI_PORT: String(togai),
      LOG_LEVEL: 'warn',
      npm_config_loglevel: 'silent',
    };
  });

  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (connectionId) await deleteInvoiceSweepSchedule(testEnv().client, connectionId);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('prints the README walkthrough, whose commands sync accounts both ways, an invoice and usage records by quantity and by revenue; a restart keeps the tenant', async () => {
    const { text, commands } = readmeWalkthrough();
    assert.equal(text, demoWalkthroughScript(), 'README block = src/demo.ts DEMO_WALKTHROUGH');

    const banner = await startDemo();
    assert.match(banner, /Fresh sandbox tenant/);
    for (const command of commands)
      assert.ok(banner.includes(`         ${command}\n`), `printed: ${command}`);

    // The sandbox tenant: Zuora's custom fields for all flows, Togai meters and plan, a subscription.
    const seededZuora = await stateOf<ZuoraState>(zuoraUrl);
    assert.deepEqual(
      seededZuora.subscriptions.map((s) => s.subscriptionNumber),
      ['A-S-DEMO-1'],
    );
    const seededTogai = await stateOf<TogaiState>(togaiUrl);
    assert.ok(seededTogai.usageMeters.length >= 2 && seededTogai.pricePlans.length >= 1);

    const closed: string[] = [];
    for (const command of commands) {
      const togaiBefore = await stateOf<TogaiState>(togaiUrl);
      const zuoraBefore = await stateOf<ZuoraState>(zuoraUrl);
      const out = await sh(command);
      const togai = await stateOf<TogaiState>(togaiUrl);
      const zuora = await stateOf<ZuoraState>(zuoraUrl);
      const newAccounts = zuora.accounts.filter((a) => !zuoraBefore.accounts.some((b) => b.id === a.id));

      if (command.endsWith('zuora-account')) {
        // Flow 1: the account made in Zuora's UI is a Togai account, and carries its id back.
        assert.equal(newAccounts.length, 1, out);
        const made = newAccounts[0]!;
        const togaiId = made.customFields['TogaiAccountId__c'];
        assert.equal(togaiId, `zuora-acct-${made.id}`);
        assert.ok(togai.accounts.some((a) => a.id === togaiId));
      } else if (command.endsWith('togai-account')) {
        // Flow 2: the Togai account is a Zuora account, whose id is in the Togai account's settings.
        const made = togai.accounts.filter((a) => !togaiBefore.accounts.some((b) => b.id === a.id));
        const mine = made.find((a) => a.id.startsWith('demo-account-'));
        assert.ok(mine, out);
        const zuoraAccount = zuora.accounts.find((a) => a.customFields['TogaiAccountId__c'] === mine.id);
        assert.ok(zuoraAccount, out);
        assert.ok(togai.settings.some((s) => s.entityId === mine.id && s.value === zuoraAccount.id));
      } else if (command.endsWith('usage')) {
        assert.ok(togai.events.length > togaiBefore.events.length, out);
      } else if (command.endsWith('close-cycle')) {
        const generated = togai.invoices.filter(
          (i) => i.status === 'DUE' && !togaiBefore.invoices.some((b) => b.id === i.id && b.status === 'DUE'),
        );
        assert.equal(generated.length, 1, out);
        const invoice = generated[0]!;
        assert.equal(invoice.ownerId, 'ACC-DEMO-1');
        closed.push(invoice.id);
        const lines = accruedOn(togai, invoice.id);
        assert.equal(lines.size, 2, 'usage on both meters');
        const demoAccount = zuora.accounts.find((a) => a.accountNumber === 'A-DEMO-1')!;
        const zInvoices = zuora.invoices.filter((i) => i.customFields['TogaiInvoiceId__c'] === invoice.id);
        const zUsages = zuora.usages.filter((u) =>
          String(u.customFields['TogaiUsageKey__c']).startsWith(usageRecordKeyPrefix(invoice.id)),
        );
        const total = new Decimal(invoice.totalAmount);
        assert.ok(total.gt(0));
        if (closed.length === 1) {
          // Flow 3 (the default): one Zuora invoice on the demo account, with Togai's total.
          assert.equal(zInvoices.length, 1, out);
          const z = zInvoices[0]!;
          assert.equal(z.accountId, demoAccount.id);
          assert.equal(z.currency, 'USD');
          assert.ok(new Decimal(z.amount).eq(total.toDecimalPlaces(2)), `${z.amount} = ${total.toFixed()}`);
          assert.deepEqual(
            z.items.map((i) => new Decimal(i.quantity ?? '0').toFixed()).sort(),
            [...lines.values()].map((q) => q.toFixed()).sort(),
          );
          assert.equal(zUsages.length, 0);
        } else {
          // Flows 4 then 5: usage records on the demo subscription, no Zuora invoice.
          assert.equal(zInvoices.length, 0, out);
          assert.equal(zUsages.length, 2, out);
          for (const u of zUsages) {
            assert.equal(u.accountNumber, 'A-DEMO-1');
            assert.equal(u.subscriptionNumber, 'A-S-DEMO-1');
          }
          if (closed.length === 2) {
            for (const [meter, quantity] of lines) {
              const record = zUsages.find(
                (u) => u.customFields['TogaiUsageKey__c'] === usageRecordKey(invoice.id, meter),
              );
              assert.ok(record, `usage record of ${meter}`);
              assert.ok(
                new Decimal(record.quantity).eq(quantity),
                `${meter}: ${record.quantity} = ${quantity.toFixed()}`,
              );
            }
          } else {
            // By revenue: the quantities are the amounts, which add up to the invoice's total.
            const sum = zUsages.reduce((t, u) => t.plus(u.quantity), new Decimal(0));
            assert.ok(sum.eq(total), `${sum.toFixed()} = ${total.toFixed()}`);
          }
        }
      } else if (command.endsWith('show')) {
        assert.match(out, /1 invoice\(s\), 4 usage record\(s\)/);
      } else {
        // The billing mode switched as the command says (tzs prints the connection's flows).
        assert.match(command, /^npx tzs connections update 'Sandbox \(simulators\)' /);
        const labels: Record<string, string> = {
          'flow-invoices': '3 invoices',
          'flow-usage-quantity': '4 usage by quantity',
          'flow-usage-revenue': '5 usage by revenue',
        };
        for (const [, flag, value] of command.matchAll(/--(flow-[a-z-]+) (on|off)/g))
          assert.ok(out.includes(`${labels[flag!]} ${value}`), `${flag} ${value} in:\n${out}`);
      }
    }
    assert.equal(closed.length, 3, 'three cycles closed: invoice, quantity, revenue');

    // A restart of `npm start`: the simulators come back with the same tenant.
    const zuoraBefore = await stateOf<ZuoraState>(zuoraUrl);
    const togaiBefore = await stateOf<TogaiState>(togaiUrl);
    await stopDemo();
    assert.ok(existsSync(join(dataDir, DEMO_STATE_FILE)));
    const restarted = await startDemo();
    assert.match(restarted, /Simulator state restored from .*demo-simulators\.json/);
    const zuoraAfter = await stateOf<ZuoraState>(zuoraUrl);
    const togaiAfter = await stateOf<TogaiState>(togaiUrl);
    for (const kind of ['accounts', 'invoices', 'usages', 'subscriptions'] as const)
      assert.deepEqual(zuoraAfter[kind], zuoraBefore[kind], `Zuora ${kind} kept`);
    for (const kind of ['customers', 'accounts', 'settings', 'invoices', 'events'] as const)
      assert.deepEqual(togaiAfter[kind], togaiBefore[kind], `Togai ${kind} kept`);

    // The walkthrough goes on (invoice mode again, after the README's last step): a fourth cycle.
    await sh(commands.find((c) => c.endsWith('usage'))!);
    await sh(commands.find((c) => c.endsWith('close-cycle'))!);
    const togai = await stateOf<TogaiState>(togaiUrl);
    const zuora = await stateOf<ZuoraState>(zuoraUrl);
    const fourth = togai.invoices.filter((i) => i.status === 'DUE' && !closed.includes(i.id));
    assert.equal(fourth.length, 1);
    const z = zuora.invoices.filter((i) => i.customFields['TogaiInvoiceId__c'] === fourth[0]!.id);
    assert.equal(z.length, 1);
    assert.ok(new Decimal(z[0]!.amount).eq(new Decimal(fourth[0]!.totalAmount).toDecimalPlaces(2)));
    const numbers = zuora.invoices.map((i) => i.invoiceNumber);
    assert.equal(
      new Set(numbers).size,
      numbers.length,
      `Zuora invoice numbers go on after a restart: ${numbers.join(', ')}`,
    );

    // A saved state that cannot be read: moved aside, a fresh tenant, and the banner says what to do.
    await stopDemo();
    writeFileSync(join(dataDir, DEMO_STATE_FILE), '{"version": 1, "zuora": ');
    const fresh = await startDemo();
    assert.match(fresh, /could not be read/);
    assert.match(fresh, /Run the walkthrough again from step 1/);
    assert.ok(readdirSync(dataDir).some((f) => f.startsWith(`${DEMO_STATE_FILE}.unreadable-`)));
    const reseeded = await stateOf<ZuoraState>(zuoraUrl);
    assert.deepEqual(
      reseeded.accounts.map((a) => a.accountNumber),
      ['A-DEMO-1'],
    );
    await stopDemo();
  });
});
