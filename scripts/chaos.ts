/**
 * `npm run chaos [-- --syncs 1000]`: syncs of every kind while the vendors, the worker and the
 * Temporal server fail, then a checker that reads both simulators' state (issue 12). Exit code 0
 * only with nothing lost, nothing duplicated, and no sync failed or left running.
 *
 * Workload (by share of `--syncs`): 20% Zuora accounts made in Zuora's UI (its callout starts flow
 * 1), 20% Togai accounts (Togai's `account.created` starts flow 2), 60% generated invoices with three
 * usage lines (Togai's `invoice.generated` and the sweep start flow 4). Senders retry as the vendors
 * do (Zuora: 5 attempts; Togai: 10, doubling from 1 s; both scaled to minutes, not hours).
 *
 * Faults, all at once: on both simulators 10% of calls answer 5xx, 5% commit then fail (the object
 * is made, the answer is an error), 0.5% never answer (a latency spike past the client's timeout),
 * 20-120 ms of latency; every 10 s a burst of 429s sized at 2% of the previous 10 s of calls; the
 * worker SIGKILLed every `--kill-every` seconds and restarted; the Temporal server stopped and
 * restarted once (its data kept), a third of the way in.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataConverterFor } from '../src/temporal/codec.js';
import { Client, Connection } from '@temporalio/client';
import { Command } from 'commander';
import pg from 'pg';
import { Decimal } from 'decimal.js';
import { DEFAULT_API_TOKEN, startTogaiSimulator } from '@togai-zuora-sync/simulators/togai';
import { startZuoraSimulator } from '@togai-zuora-sync/simulators/zuora';
import { loadConfig } from '../src/config.js';
import { createDefaultVerifier } from '../src/connections/default-verifier.js';
import { openConnections } from '../src/connections/open.js';
import { startDevServer, type DevServer, type DevServerOptions } from '../src/devtools/dev-server.js';
import { ensureTemporalCli } from '../src/devtools/temporal-cli.js';
import { FLOW } from '../src/flows/index.js';
import { createLogger } from '../src/logger.js';
import { MAPPING_SETTING } from '../src/mapping/zuora-account-to-togai.js';
import { USAGE_KEY_FIELD } from '../src/mapping/usage-togai-to-zuora.js';
import { child, freePort, json, register, runCleanups, stop, WORKER_NODE_FLAGS } from './bench/harness.js';
import { closeCycles, expectedQuantities, seedLinkedAccounts } from './bench/seed.js';

const opts = new Command('chaos')
  .description('syncs under vendor, worker and server faults, then a checker (issue 12)')
  .option('--syncs <n>', 'syncs in all (20% flow 1, 20% flow 2, 60% invoices)', '1000')
  .option('--kill-every <seconds>', 'SIGKILL the worker this often', '30')
  .option('--no-server-restart', 'keep the Temporal server running throughout')
  .option(
    '--temporal-address <host:port>',
    'use this Temporal (a cluster: no server restart) instead of a dev server',
  )
  .option('--workers <n>', 'worker processes (one is killed each time)', '1')
  .option(
    '--gateways <n>',
    "gateway processes (Togai delivers each event to every one; Zuora's callout goes to the last)",
    '1',
  )
  .option(
    '--database-url <url>',
    'PostgreSQL connection store (a fresh schema, dropped afterwards) instead of SQLite',
  )
  .option('--timeout-minutes <m>', 'give up after this long', '30')
  .parse()
  .opts<{
    syncs: string;
    killEvery: string;
    serverRestart: boolean;
    temporalAddress?: string;
    workers: string;
    gateways: string;
    databaseUrl?: string;
    timeoutMinutes: string;
  }>();

const SYNCS = Number(opts.syncs);
const N1 = Math.round(SYNCS * 0.2);
const N2 = Math.round(SYNCS * 0.2);
const N3 = SYNCS - N1 - N2;
const say = (line: string): void => void process.stdout.write(`${line}\n`);
const log = createLogger('warn');

interface ZuoraAccountState {
  id: string;
  accountNumber: string;
  customFields: Record<string, unknown>;
}
interface TogaiState {
  accounts: { id: string }[];
  settings: { id: string; value: string; entityType: string; entityId: string }[];
}

const BASE_FAULTS = {
  latencyMs: 20,
  jitterMs: 100,
  errorRate: 0.1,
  commitThenFailRate: 0.05,
  hangRate: 0.005,
};

/** Faults injected so far per simulator: a PUT of new rules resets the simulator's own counts. */
const injectedSoFar = new Map<string, Record<string, number>>();

async function putFaults(url: string, rules: object[]): Promise<void> {
  const { injected } = await json<{ injected: Record<string, number> }>(`${url}/__admin/faults`);
  const total = injectedSoFar.get(url) ?? {};
  for (const [kind, n] of Object.entries(injected)) total[kind] = (total[kind] ?? 0) + n;
  injectedSoFar.set(url, total);
  await fetch(`${url}/__admin/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(rules),
  });
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'tzs-chaos-'));
  register(() => Promise.resolve(rmSync(tmp, { recursive: true, force: true })));
  const events: string[] = [];
  const note = (e: string): void => {
    events.push(e);
    say(`  ${e}`);
  };
  try {
    let address = opts.temporalAddress;
    let server: DevServer | undefined;
    let serverOptions: DevServerOptions | undefined;
    if (!address) {
      serverOptions = {
        cliPath: (await ensureTemporalCli()).path,
        dataDir: join(tmp, 'temporal'),
        namespace: 'default',
        port: await freePort(),
        uiPort: await freePort(),
        log,
      };
      server = await startDevServer(serverOptions);
      address = server.address;
    }
    register(() => server?.stop() ?? Promise.resolve());
    const clientConnection = await Connection.connect({ address });
    register(() => clientConnection.close());

    const zuora = await startZuoraSimulator({});
    const togai = await startTogaiSimulator({ webhookRetry: { maxAttempts: 10, retryBaseMs: 1000 } });
    register(() => Promise.allSettled([zuora.close(), togai.close()]));

    const gatewayPorts = await Promise.all(Array.from({ length: Number(opts.gateways) }, () => freePort()));
    const gatewayPort = gatewayPorts[0] ?? 0;
    const schema = `chaos_${randomUUID().slice(0, 8)}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      DATA_DIR: join(tmp, 'data'),
      DEMO_MODE: 'off',
      LOG_LEVEL: 'info',
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: String(gatewayPort),
      PUBLIC_BASE_URL: `http://127.0.0.1:${gatewayPort}`,
      INVOICE_SWEEP_INTERVAL_SECONDS: '15',
      // Several workers and gateways on one machine: no /metrics listeners (they would share a port).
      WORKER_METRICS_PORT: '0',
      GATEWAY_METRICS_PORT: '0',
    };
    // The store is the one asked for, never one inherited from the caller's environment.
    delete env['DATABASE_URL'];
    delete env['DATABASE_SCHEMA'];
    if (opts.databaseUrl) Object.assign(env, { DATABASE_URL: opts.databaseUrl, DATABASE_SCHEMA: schema });
    const connections = await openConnections(loadConfig(env), log, createDefaultVerifier());
    // The workers' and gateways' keyring (the same DATA_DIR or key): payloads are encrypted alike.
    const client = new Client({
      connection: clientConnection,
      dataConverter: dataConverterFor(connections.keyring),
    });
    const { connection, setup } = await connections.service.create({
      name: 'Chaos',
      zuora: {
        endpoint: zuora.url,
        customEndpoint: true,
        clientId: zuora.sim.credentials.clientId,
        clientSecret: zuora.sim.credentials.clientSecret,
      },
      togai: { baseUrl: togai.url, apiToken: DEFAULT_API_TOKEN },
      flows: { invoices: false, usageQuantity: true, usageRevenue: false },
    });
    await connections.close();
    if (opts.databaseUrl) {
      const url = opts.databaseUrl;
      register(async () => {
        const db = new pg.Client({ connectionString: url });
        await db.connect();
        await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await db.end();
      });
    }
    const connectionId = connection.id;
    const webhookBase = (port: number): string => `http://127.0.0.1:${port}/webhooks`;

    say(`seeding: ${N1} Zuora accounts (flow 1), ${N2} Togai accounts (flow 2), ${N3} invoices with usage …`);
    const invoiceTags = await seedLinkedAccounts(zuora.url, togai.url, N3);

    const startWorker = () =>
      child('dist/src/worker.js', env, (o) => o.includes('worker started'), WORKER_NODE_FLAGS);
    const workers: ChildProcess[] = [];
    for (let i = 0; i < Number(opts.workers); i++) workers.push(await startWorker());
    const gateways: ChildProcess[] = [];
    for (const port of gatewayPorts) {
      gateways.push(
        await child('dist/src/gateway.js', { ...env, GATEWAY_PORT: String(port) }, (o) =>
          o.includes('gateway listening'),
        ),
      );
    }
    register(() => Promise.all(gateways.map((g) => stop(g))));
    register(() => Promise.all(workers.map((w) => stop(w))));

    // Senders point at the gateway only now, so seeding fired no event.
    const put = (url: string, body: unknown) =>
      fetch(url, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    await put(`${zuora.url}/__admin/callout`, {
      url: `${webhookBase(gatewayPorts.at(-1) ?? gatewayPort)}/zuora/${connectionId}`,
      basicAuth: setup.zuora.basic,
      signature: { secret: setup.zuora.hmac?.secret },
      attempts: 5,
      intervalMs: 20_000,
      timeoutMs: 25_000,
    });
    await put(
      `${togai.url}/__admin/webhooks`,
      gatewayPorts.map((port) => ({
        url: `${webhookBase(port)}/togai/${connectionId}`,
        secret: setup.togai.hmac.secret,
      })),
    );
    for (const url of [zuora.url, togai.url]) await putFaults(url, [BASE_FAULTS]);

    const t0 = Date.now();
    // Flow 1: accounts made in Zuora's UI fire the callout.
    const zuoraUiAccounts: string[] = [];
    for (let i = 0; i < N1; i++) {
      const res = await json<{ accountId: string }>(`${zuora.url}/__admin/ui/accounts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `Chaos Zuora ${i} — Ærø & Co`,
          currency: i % 2 ? 'EUR' : 'USD',
          billToContact: {
            firstName: 'Zoë',
            lastName: `Ünal ${i}`,
            workEmail: `z${i}@chaos.example`,
            country: 'US',
          },
        }),
      });
      zuoraUiAccounts.push(res.accountId);
    }
    // Flow 2: Togai accounts, each firing account.created.
    const togaiAccounts = Array.from({ length: N2 }, (_, i) => `acct-chaos-${i}`);
    await fetch(`${togai.url}/__admin/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        customers: togaiAccounts.map((id, i) => ({
          id: `cust-chaos-${i}`,
          name: `Chaos Togai ${i} «quoted»`,
          primaryEmail: `t${i}@chaos.example`,
          address: { line1: '1 Rue de la Paix', city: 'Paris', country: 'FR' },
          account: { id, name: `Chaos Togai ${i}`, invoiceCurrency: i % 2 ? 'EUR' : 'USD' },
        })),
      }),
    });
    // Flows 4: invoices generated (invoice.generated; the sweep lists them too).
    const invoices = await closeCycles(togai.url, invoiceTags);
    note(`${((Date.now() - t0) / 1000).toFixed(0)} s: all ${SYNCS} syncs announced`);

    // Chaos loops
    let kills = 0;
    let bursts = 0;
    let restarted = false;
    let lastCalls = 0;
    const deadline = t0 + Number(opts.timeoutMinutes) * 60_000;
    const killEveryMs = Number(opts.killEvery) * 1000;
    let nextKill = t0 + killEveryMs;
    let nextBurst = t0 + 10_000;
    let verdict: Verdict | undefined;
    let calm = false;
    for (;;) {
      const now = Date.now();
      if (!calm && now >= nextKill) {
        nextKill = now + killEveryMs;
        const victim: number = kills % workers.length;
        workers[victim]?.kill('SIGKILL');
        kills++;
        note(
          `${((now - t0) / 1000).toFixed(0)} s: worker ${victim + 1} of ${workers.length} SIGKILLed (${kills})`,
        );
        workers[victim] = await startWorker();
      }
      if (!calm && now >= nextBurst) {
        nextBurst = now + 10_000;
        const calls =
          (await json<{ total: number }>(`${zuora.url}/__admin/requests`)).total +
          (await json<{ total: number }>(`${togai.url}/__admin/requests`)).total;
        const burst = Math.max(1, Math.round((calls - lastCalls) * 0.02));
        lastCalls = calls;
        for (const url of [zuora.url, togai.url]) {
          await putFaults(url, [
            { burst429: Math.ceil(burst / 2), times: Math.ceil(burst / 2) },
            BASE_FAULTS,
          ]);
        }
        bursts++;
      }
      // A third of the way in: when a third of the syncs are present.
      const third = (verdict?.present ?? 0) >= SYNCS / 3;
      if (!calm && !restarted && server && serverOptions && opts.serverRestart && third) {
        restarted = true;
        note(`${((now - t0) / 1000).toFixed(0)} s: Temporal server stopped`);
        await server.stop();
        await new Promise((r) => setTimeout(r, 5_000));
        server = await startDevServer(serverOptions);
        note(`${((Date.now() - t0) / 1000).toFixed(0)} s: Temporal server restarted (data kept)`);
      }
      verdict = await check();
      const running = await runningSyncs();
      if (verdict.missing === 0 && running === 0) {
        if (calm) break;
        // Faults off, then one more look once everything has settled.
        calm = true;
        for (const url of [zuora.url, togai.url]) await putFaults(url, []);
        note(`${((Date.now() - t0) / 1000).toFixed(0)} s: everything present; faults off, settling`);
        await new Promise((r) => setTimeout(r, 10_000));
        continue;
      }
      if (now > deadline) break;
      if ((now - t0) % 30_000 < 3_000)
        say(
          `  ${((now - t0) / 1000).toFixed(0)} s: ${verdict.present}/${SYNCS} present, ${running} syncs running`,
        );
      await new Promise((r) => setTimeout(r, 3_000));
    }

    for (const url of [zuora.url, togai.url]) await putFaults(url, []);
    const injected = { zuora: injectedSoFar.get(zuora.url) ?? {}, togai: injectedSoFar.get(togai.url) ?? {} };
    const count = async (q: string): Promise<number> =>
      (await client.workflow.count(`TzsConnectionId="${connectionId}" AND ${q}`)).count;
    const syncTypes = `WorkflowType IN ("${FLOW.zuoraAccountToTogai}", "${FLOW.togaiAccountToZuora}", "${FLOW.togaiInvoiceToZuora}")`;
    const failed = await count(
      `${syncTypes} AND ExecutionStatus IN ("Failed", "TimedOut", "Terminated", "Canceled")`,
    );
    const running = await count(`${syncTypes} AND ExecutionStatus="Running"`);
    const v = verdict ?? (await check());
    const result = {
      syncs: SYNCS,
      present: v.present,
      lost: v.missing,
      duplicates: v.duplicates,
      wrongUsage: v.wrongUsage,
      unmapped: v.unmapped,
      failedRuns: failed,
      runningRuns: running,
      faultsInjected: injected,
      worker429Bursts: bursts,
      workerKills: kills,
      serverRestarts: restarted ? 1 : 0,
      seconds: Math.round((Date.now() - t0) / 1000),
    };
    say('');
    say(
      `checker: ${v.present}/${SYNCS} present; lost ${v.missing}; duplicates ${v.duplicates}; wrong usage ${v.wrongUsage}; mappings missing ${v.unmapped}; runs failed ${failed}, running ${running}`,
    );
    say(
      `faults injected and survived: Zuora ${JSON.stringify(injected.zuora)}; Togai ${JSON.stringify(injected.togai)}; 429 bursts injected ${bursts} (burst429 above: the 429 answers they made); worker kills ${kills}; server restarts ${result.serverRestarts}`,
    );
    for (const p of v.problems.slice(0, 20)) say(`  problem: ${p}`);
    say(`CHAOS_RESULT ${JSON.stringify(result)}`);
    const ok =
      v.missing === 0 &&
      v.duplicates === 0 &&
      v.wrongUsage === 0 &&
      v.unmapped === 0 &&
      failed === 0 &&
      running === 0;
    process.exitCode = ok ? 0 : 1;

    interface Verdict {
      present: number;
      missing: number;
      duplicates: number;
      wrongUsage: number;
      unmapped: number;
      problems: string[];
    }

    async function runningSyncs(): Promise<number> {
      try {
        return (
          await client.workflow.count(
            `TzsConnectionId="${connectionId}" AND WorkflowType IN ("${FLOW.zuoraAccountToTogai}", "${FLOW.togaiAccountToZuora}", "${FLOW.togaiInvoiceToZuora}") AND ExecutionStatus="Running"`,
          )
        ).count;
      } catch {
        return -1; // the server is down: not settled
      }
    }

    /** Reads both simulators' state: every expected object once, mapped on both sides, usage equal. */
    async function check(): Promise<Verdict> {
      const problems: string[] = [];
      const zAccounts = (await json<{ accounts: ZuoraAccountState[] }>(`${zuora.url}/__admin/state`))
        .accounts;
      const tState = await json<TogaiState>(`${togai.url}/__admin/state`);
      // The link lives on the Togai account (flow 1 also labels the customer with it).
      const links = tState.settings.filter(
        (s) => s.id === MAPPING_SETTING.zuoraAccountId && s.entityType === 'ACCOUNT',
      );
      const linkOf = (togaiAccountId: string): string[] =>
        links.filter((s) => s.entityId === togaiAccountId).map((s) => s.value);
      const togaiFor = (zuoraId: string): string[] => [
        ...new Set(links.filter((s) => s.value === zuoraId).map((s) => s.entityId)),
      ];
      let present = 0;
      let missing = 0;
      let duplicates = 0;
      let unmapped = 0;
      let wrongUsage = 0;
      for (const z of zuoraUiAccounts) {
        const t = togaiFor(z);
        if (t.length === 0) {
          missing++;
          continue;
        }
        present++;
        if (t.length > 1) {
          duplicates += t.length - 1;
          problems.push(`Zuora account ${z}: ${t.length} Togai accounts (${t.join(', ')})`);
        }
        const za = zAccounts.find((a) => a.id === z);
        if (za?.customFields['TogaiAccountId__c'] !== t[0]) {
          unmapped++;
          problems.push(`Zuora account ${z}: TogaiAccountId__c is not ${t[0]}`);
        }
      }
      for (const t of togaiAccounts) {
        const z = zAccounts.filter((a) => a.customFields['TogaiAccountId__c'] === t);
        if (z.length === 0) {
          missing++;
          continue;
        }
        present++;
        if (z.length > 1) {
          duplicates += z.length - 1;
          problems.push(`Togai account ${t}: ${z.length} Zuora accounts`);
        }
        if (!linkOf(t).includes(z[0]?.id ?? '')) {
          unmapped++;
          problems.push(`Togai account ${t}: no zuoraAccountId setting for ${z[0]?.id}`);
        }
      }
      const byInvoice = new Map<string, Map<string, Decimal[]>>();
      for (const u of zuora.sim.context.state.usages.values()) {
        const [, , invoice, meter] = String(u.customFields[USAGE_KEY_FIELD] ?? '').split(':');
        if (!invoice || !meter) continue;
        const meters = byInvoice.get(invoice) ?? new Map<string, Decimal[]>();
        meters.set(meter, [...(meters.get(meter) ?? []), new Decimal(u.quantity)]);
        byInvoice.set(invoice, meters);
      }
      invoices.forEach((invoice, i) => {
        const expected = expectedQuantities(invoiceTags[i] ?? '');
        const meters = byInvoice.get(invoice);
        if (!meters || meters.size < Object.keys(expected).length) {
          missing++;
          return;
        }
        present++;
        for (const [meter, quantity] of Object.entries(expected)) {
          const got = meters.get(meter) ?? [];
          if (got.length > 1) {
            duplicates += got.length - 1;
            problems.push(`invoice ${invoice}: ${got.length} usage records for ${meter}`);
          }
          if (!got[0]?.equals(quantity)) {
            wrongUsage++;
            problems.push(`invoice ${invoice}: ${meter} quantity ${got[0]?.toString()} ≠ ${quantity}`);
          }
        }
      });
      return { present, missing, duplicates, wrongUsage, unmapped, problems };
    }
  } finally {
    await runCleanups();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`chaos failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
