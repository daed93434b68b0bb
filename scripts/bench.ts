/**
 * `npm run bench [-- --invoices 500]`: a month-end burst through the whole product, measured
 * from outside (issue 12). Never a test: it prints figures and writes docs/benchmarks.md.
 *
 * Topology: a fresh Temporal dev server (or `--temporal-address`, e.g. the PostgreSQL cluster of
 * devtools/cluster), both simulators in this process at their documented default limits with a
 * fixed latency per call, and the worker and the gateway as child processes exactly as
 * `npm run worker` / `npm run gateway` run them. The burst is started as users start it: half the
 * invoices by Togai's `invoice.generated` webhook through the gateway, and the sweep schedule
 * triggered at the same moment. Then, on the same server: its ceiling (no-op workflows with one
 * activity) and the gateway's acknowledgement rate against a bare client's start rate.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataConverterFor } from '../src/temporal/codec.js';
import { Client, Connection, ScheduleOverlapPolicy } from '@temporalio/client';
import { Command } from 'commander';
import { DEFAULT_API_TOKEN, startTogaiSimulator } from '@togai-zuora-sync/simulators/togai';
import { startZuoraSimulator } from '@togai-zuora-sync/simulators/zuora';
import { loadConfig } from '../src/config.js';
import { createDefaultVerifier } from '../src/connections/default-verifier.js';
import { openConnections } from '../src/connections/open.js';
import { startDevServer } from '../src/devtools/dev-server.js';
import { ensureTemporalCli } from '../src/devtools/temporal-cli.js';
import { FLOW, invoiceSweep } from '../src/flows/index.js';
import { createLogger } from '../src/logger.js';
import { USAGE_KEY_FIELD } from '../src/mapping/usage-togai-to-zuora.js';
import { togaiSignatureHeader } from '../src/shared/togai-signature.js';
import { completionChartSvg } from './bench/chart.js';
import {
  child,
  freePort,
  json,
  lanes,
  register,
  runCleanups,
  settle,
  stop,
  WORKER_NODE_FLAGS,
} from './bench/harness.js';
import { Sampler } from './bench/proc.js';
import { seedBurst, USAGE_LINES_PER_INVOICE } from './bench/seed.js';

const program = new Command('bench')
  .description('month-end burst benchmark (issue 12): prints figures, writes docs/benchmarks.md')
  .option('--invoices <n>', 'generated invoices in the burst (3 usage lines each)', '10000')
  .option('--latency-ms <ms>', 'latency of every simulator call', '200')
  .option('--webhook-share <fraction>', 'share of invoices also announced by webhook', '0.5')
  .option(
    '--temporal-address <host:port>',
    'use this Temporal (e.g. a cluster) instead of a fresh dev server',
  )
  .option('--ceiling <n>', 'no-op workflows for the server ceiling', '2000')
  .option('--gateway-requests <n>', 'webhooks for the gateway acknowledgement rate', '2000')
  .option('--timeout-minutes <m>', 'give up on the burst after this long', '180')
  .option(
    '--worker-node-options <flags>',
    'Node flags of the worker process (default: those of npm run worker)',
  )
  .option('--no-write', 'print only; leave docs/benchmarks.md alone')
  .parse();
const opts = program.opts<{
  invoices: string;
  latencyMs: string;
  webhookShare: string;
  temporalAddress?: string;
  ceiling: string;
  gatewayRequests: string;
  timeoutMinutes: string;
  workerNodeOptions?: string;
  write: boolean;
}>();
const N = Number(opts.invoices);
const LATENCY = Number(opts.latencyMs);
const ZUORA_CONCURRENCY = 40; // Zuora's Default pool (../shared/contracts/README.md)
const TOGAI_RPS = 10; // Togai's documented default
const BENCH_START = '<!-- bench:start -->';
const BENCH_END = '<!-- bench:end -->';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const log = createLogger('warn');
const say = (line: string): void => void process.stdout.write(`${line}\n`);
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'tzs-bench-'));
  register(() => Promise.resolve(rmSync(tmp, { recursive: true, force: true })));
  const started = new Date();
  try {
    // Temporal
    let address = opts.temporalAddress;
    let serverPid: number | undefined;
    if (!address) {
      const cli = await ensureTemporalCli();
      const server = await startDevServer({
        cliPath: cli.path,
        dataDir: join(tmp, 'temporal'),
        namespace: 'default',
        port: await freePort(),
        uiPort: await freePort(),
        log,
      });
      register(() => server.stop());
      address = server.address;
      serverPid = server.process.pid;
    }
    const clientConnection = await Connection.connect({ address });
    register(() => clientConnection.close());

    // Simulators at their default limits, a fixed latency on every call
    const latency = [{ latencyMs: LATENCY }];
    const zuora = await startZuoraSimulator({ faults: latency });
    const togai = await startTogaiSimulator({ faults: latency });
    register(() => Promise.allSettled([zuora.close(), togai.close()]));

    // The connection, in the store the worker and the gateway open
    const gatewayPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      DATA_DIR: join(tmp, 'data'),
      DEMO_MODE: 'off',
      LOG_LEVEL: 'info',
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: String(gatewayPort),
      PUBLIC_BASE_URL: `http://127.0.0.1:${gatewayPort}`,
      INVOICE_SWEEP_INTERVAL_SECONDS: '86400',
      // Several workers and gateways on one machine: no /metrics listeners (they would share a port).
      WORKER_METRICS_PORT: '0',
      GATEWAY_METRICS_PORT: '0',
    };
    const config = loadConfig(env);
    const connections = await openConnections(config, log, createDefaultVerifier());
    // The workers' and gateways' keyring (the same DATA_DIR or key): payloads are encrypted alike.
    const client = new Client({
      connection: clientConnection,
      dataConverter: dataConverterFor(connections.keyring),
    });
    const { connection, setup } = await connections.service.create({
      name: 'Bench',
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
    const connectionId = connection.id;
    const togaiSecret = setup.togai.hmac.secret;

    say(`seeding ${N} generated invoices (${USAGE_LINES_PER_INVOICE} usage lines each) …`);
    const seedStart = Date.now();
    const invoices = await seedBurst(zuora.url, togai.url, N, (done, total) => {
      if (done % 2000 === 0 || done === total) say(`  seeded ${done}/${total}`);
    });
    say(`  seeded in ${((Date.now() - seedStart) / 1000).toFixed(0)} s`);
    for (const url of [zuora.url, togai.url]) await fetch(`${url}/__admin/requests`, { method: 'DELETE' });
    const refusalsBefore = await Promise.all(
      [zuora.url, togai.url].map((u) => json<{ total?: number }>(`${u}/__admin/limits`)),
    );

    // Worker and gateway, as `npm run worker` and `npm run gateway` run them
    const worker = await child(
      'dist/src/worker.js',
      env,
      (out) => out.includes('worker started'),
      opts.workerNodeOptions?.split(/\s+/).filter(Boolean) ?? WORKER_NODE_FLAGS,
    );
    register(() => stop(worker));
    const gateway = await child('dist/src/gateway.js', env, (out) => out.includes('gateway listening'));
    register(() => stop(gateway));
    const samplers = {
      worker: new Sampler(worker.pid ?? 0),
      gateway: new Sampler(gateway.pid ?? 0),
      ...(serverPid !== undefined && { server: new Sampler(serverPid) }),
    };

    // The burst: webhooks for a share of the invoices and the sweep, at once
    const t0 = Date.now();
    const usages = zuora.sim.context.state.usages;
    const completedAt = new Map<string, number>();
    const share = invoices.slice(0, Math.round(N * Number(opts.webhookShare)));
    const webhookAnswers: Record<string, number> = {};
    const sweep = client.schedule.getHandle(invoiceSweep.scheduleId(connectionId));
    await sweep.trigger(ScheduleOverlapPolicy.SKIP);
    const webhooks = settle(
      lanes(share, 20, async (id) => {
        const body = JSON.stringify({
          eventId: `evt_${randomUUID()}`,
          eventType: 'invoice.generated',
          eventTime: new Date().toISOString(),
          entityId: id,
          entity: { id },
        });
        const res = await fetch(`http://127.0.0.1:${gatewayPort}/webhooks/togai/${connectionId}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'togai-signature': togaiSignatureHeader(togaiSecret, body, Math.floor(Date.now() / 1000)),
          },
          body,
        });
        const answer = (await res.json()) as { status?: string };
        const key = `${res.status} ${answer.status ?? ''}`.trim();
        webhookAnswers[key] = (webhookAnswers[key] ?? 0) + 1;
      }),
    );

    const deadline = t0 + Number(opts.timeoutMinutes) * 60_000;
    let lastReport = t0;
    const perInvoice = new Map<string, number>();
    let duplicates = 0;
    for (;;) {
      perInvoice.clear();
      const keys = new Set<string>();
      duplicates = 0;
      for (const u of usages.values()) {
        const key = String(u.customFields[USAGE_KEY_FIELD] ?? '');
        if (keys.has(key)) duplicates++;
        keys.add(key);
        const invoice = key.split(':')[2] ?? '';
        perInvoice.set(invoice, (perInvoice.get(invoice) ?? 0) + 1);
      }
      const now = Date.now();
      for (const [invoice, n] of perInvoice) {
        if (n >= USAGE_LINES_PER_INVOICE && !completedAt.has(invoice)) completedAt.set(invoice, now - t0);
      }
      if (now - lastReport >= 10_000) {
        lastReport = now;
        say(`  ${((now - t0) / 1000).toFixed(0)} s: ${completedAt.size}/${N} invoices in Zuora`);
      }
      if (completedAt.size >= N || now > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const wall = (Date.now() - t0) / 1000;
    const sent = await webhooks;
    if (!sent.ok) throw sent.error;
    const resources = Object.fromEntries(Object.entries(samplers).map(([k, s]) => [k, s.stop()]));
    const zuoraCalls = await json<{ total: number; byOperation: Record<string, number> }>(
      `${zuora.url}/__admin/requests`,
    );
    const togaiCalls = await json<{ total: number; byOperation: Record<string, number> }>(
      `${togai.url}/__admin/requests`,
    );
    const refusalsAfter = await Promise.all(
      [zuora.url, togai.url].map((u) => json<{ total?: number }>(`${u}/__admin/limits`)),
    );
    const count = async (status: string): Promise<number> =>
      (
        await client.workflow.count(
          `TzsConnectionId="${connectionId}" AND WorkflowType="${FLOW.togaiInvoiceToZuora}" AND ExecutionStatus="${status}"`,
        )
      ).count;
    const [completedRuns, failedRuns, runningRuns] = [
      await count('Completed'),
      await count('Failed'),
      await count('Running'),
    ];
    await stop(worker);
    await stop(gateway);

    const zuoraApi = zuoraCalls.total - (zuoraCalls.byOperation['createToken'] ?? 0);
    const zuoraBound = (zuoraApi * (LATENCY / 1000)) / ZUORA_CONCURRENCY;
    const togaiBound = togaiCalls.total / TOGAI_RPS;
    const bound = Math.max(zuoraBound, togaiBound);
    const latencies = [...completedAt.values()].map((ms) => ms / 1000).sort((a, b) => a - b);
    const refused = refusalsAfter.map((r, i) => (r.total ?? 0) - (refusalsBefore[i]?.total ?? 0));

    // The server's own ceiling: no-op workflows with one activity, same worker settings
    const M = Number(opts.ceiling);
    const noopQueue = `bench-noop-${randomUUID().slice(0, 8)}`;
    const noopWorker = fork(join(ROOT, 'dist/scripts/bench/noop-worker.js'), [], {
      env: { ...env, LOG_LEVEL: 'warn', BENCH_NOOP_TASK_QUEUE: noopQueue },
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    register(() => stop(noopWorker));
    await new Promise((r) => noopWorker.once('message', r));
    const serverCeilingSampler = serverPid !== undefined ? new Sampler(serverPid) : undefined;
    const handles: ReturnType<typeof settle>[] = [];
    const ceilingStart = Date.now();
    await lanes(
      Array.from({ length: M }, (_, i) => i),
      50,
      async (i) => {
        const h = await client.workflow.start('benchNoopWorkflow', {
          taskQueue: noopQueue,
          workflowId: `bench-noop-${noopQueue}-${i}`,
        });
        handles.push(settle(h.result()));
      },
    );
    const startRate = M / ((Date.now() - ceilingStart) / 1000);
    const failedNoops = (await Promise.all(handles)).filter((r) => !r.ok).length;
    if (failedNoops > 0) throw new Error(`${failedNoops} no-op workflows failed`);
    const ceilingRate = M / ((Date.now() - ceilingStart) / 1000);
    const serverCeilingCpu = serverCeilingSampler?.stop();
    await stop(noopWorker);

    // The gateway's acknowledgement rate, against a gateway whose task queue has no worker
    const idlePort = await freePort();
    const idleGateway = await child(
      'dist/src/gateway.js',
      {
        ...env,
        GATEWAY_PORT: String(idlePort),
        TEMPORAL_TASK_QUEUE: `bench-idle-${randomUUID().slice(0, 8)}`,
      },
      (out) => out.includes('gateway listening'),
    );
    register(() => stop(idleGateway));
    const G = Number(opts.gatewayRequests);
    const event = (): string => {
      const id = `acct-gw-${randomUUID()}`;
      return JSON.stringify({
        eventId: `evt_${randomUUID()}`,
        eventType: 'account.created',
        eventTime: new Date().toISOString(),
        entityId: id,
        entity: { id },
      });
    };
    const send = async (): Promise<number> => {
      const body = event();
      const t = performance.now();
      const res = await fetch(`http://127.0.0.1:${idlePort}/webhooks/togai/${connectionId}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'togai-signature': togaiSignatureHeader(togaiSecret, body, Math.floor(Date.now() / 1000)),
        },
        body,
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`gateway answered ${res.status}`);
      return performance.now() - t;
    };
    const ackStart = Date.now();
    await lanes(
      Array.from({ length: G }, (_, i) => i),
      50,
      async () => void (await send()),
    );
    const ackRate = G / ((Date.now() - ackStart) / 1000);
    // Open loop at half the bare client's start rate for 10 s: latency as a sender sees it.
    const offered = startRate / 2;
    const fixedLatencies: ReturnType<typeof settle<number>>[] = [];
    const loadStart = performance.now();
    // At most --gateway-requests requests, over at most 10 s.
    const fixedCount = Math.min(Math.round(offered * 10), G);
    for (let i = 0; i < fixedCount; i++) {
      const due = loadStart + (i * 1000) / offered;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      fixedLatencies.push(settle(send()));
    }
    const gwResults = await Promise.all(fixedLatencies);
    const gwFailed = gwResults.filter((r) => !r.ok).length;
    if (gwFailed > 0) throw new Error(`${gwFailed} webhooks were refused at the fixed load`);
    const gwLatencies = gwResults.flatMap((r) => (r.ok ? [r.value] : [])).sort((a, b) => a - b);
    await stop(idleGateway);

    const f = {
      invoices: N,
      latencyMs: LATENCY,
      wall,
      zuoraApi,
      togaiCalls: togaiCalls.total,
      zuoraBound,
      togaiBound,
      bound,
      ratio: wall / bound,
      zuoraPerInvoice: zuoraApi / N,
      togaiPerInvoice: togaiCalls.total / N,
      zuora429: refused[0] ?? 0,
      togai429: refused[1] ?? 0,
      duplicates,
      p50: pct(latencies, 50),
      p95: pct(latencies, 95),
      p99: pct(latencies, 99),
      completed: completedAt.size,
      completedRuns,
      failedRuns,
      runningRuns,
      workerRss: resources['worker']?.peakRssBytes ?? 0,
      gatewayRss: resources['gateway']?.peakRssBytes ?? 0,
      serverRss: resources['server']?.peakRssBytes ?? 0,
      workerCpuMs: ((resources['worker']?.cpuSeconds ?? 0) * 1000) / N,
      serverCpuMs: ((resources['server']?.cpuSeconds ?? 0) * 1000) / N,
      ceilingRate,
      startRate,
      serverCeilingCpuMs: serverCeilingCpu ? (serverCeilingCpu.cpuSeconds * 1000) / M : NaN,
      ackRate,
      offered,
      gwP50: pct(gwLatencies, 50),
      gwP99: pct(gwLatencies, 99),
    };
    const targets: [string, boolean, string][] = [
      ['wall ≤ 1.15 × the larger vendor bound', f.ratio <= 1.15, `${f.ratio.toFixed(2)} ×`],
      ['≤ 2 Togai calls per invoice', f.togaiPerInvoice <= 2, f.togaiPerInvoice.toFixed(2)],
      [
        `≤ 3 + ${USAGE_LINES_PER_INVOICE} Zuora calls per invoice`,
        f.zuoraPerInvoice <= 3 + USAGE_LINES_PER_INVOICE,
        f.zuoraPerInvoice.toFixed(2),
      ],
      ['zero 429 answers', f.zuora429 + f.togai429 === 0, `Zuora ${f.zuora429}, Togai ${f.togai429}`],
      ['zero duplicates', f.duplicates === 0, String(f.duplicates)],
      [
        'every invoice synced, no run failed or left open',
        f.completed === N && f.failedRuns === 0 && f.runningRuns === 0,
        `${f.completed}/${N}, ${f.failedRuns} failed, ${f.runningRuns} running`,
      ],
      ['p50 latency < half the wall time', f.p50 < wall / 2, `${f.p50.toFixed(0)} s of ${wall.toFixed(0)} s`],
      ['worker RSS < 400 MB', f.workerRss < 400 * 1024 * 1024, mib(f.workerRss)],
      [
        'gateway ≥ 90% of the bare client start rate',
        f.ackRate >= 0.9 * f.startRate,
        `${f.ackRate.toFixed(0)}/s vs ${f.startRate.toFixed(0)}/s (${((100 * f.ackRate) / f.startRate).toFixed(0)}%)`,
      ],
      [
        'gateway p99 < 50 ms at half that rate',
        f.gwP99 < 50,
        `${f.gwP99.toFixed(1)} ms at ${f.offered.toFixed(0)}/s`,
      ],
    ];
    const lines = [
      `Burst: ${N} invoices × ${USAGE_LINES_PER_INVOICE} usage lines, ${LATENCY} ms per vendor call, ${(Number(opts.webhookShare) * 100).toFixed(0)}% also by webhook, sweep triggered at t0`,
      `Temporal: ${opts.temporalAddress ? `cluster at ${opts.temporalAddress}` : 'dev server (temporal CLI, SQLite)'}`,
      `wall time: ${wall.toFixed(1)} s (${(N / wall).toFixed(2)} invoices/s)`,
      `Zuora bound: ${zuoraApi} calls × ${LATENCY} ms ÷ ${ZUORA_CONCURRENCY} = ${zuoraBound.toFixed(1)} s`,
      `Togai bound: ${togaiCalls.total} calls ÷ ${TOGAI_RPS}/s = ${togaiBound.toFixed(1)} s`,
      `wall ÷ larger bound: ${f.ratio.toFixed(2)}`,
      `calls per invoice: Togai ${f.togaiPerInvoice.toFixed(2)}, Zuora ${f.zuoraPerInvoice.toFixed(2)} (+ OAuth tokens: ${zuoraCalls.byOperation['createToken'] ?? 0})`,
      `  Togai by operation: ${JSON.stringify(togaiCalls.byOperation)}`,
      `  Zuora by operation: ${JSON.stringify(zuoraCalls.byOperation)}`,
      `429 answers: Zuora ${f.zuora429}, Togai ${f.togai429}`,
      `duplicates (usage records sharing a key): ${duplicates}`,
      `latency generated → in Zuora: p50 ${f.p50.toFixed(1)} s, p95 ${f.p95.toFixed(1)} s, p99 ${f.p99.toFixed(1)} s`,
      `runs: ${completedRuns} completed, ${failedRuns} failed, ${runningRuns} running; webhook answers ${JSON.stringify(webhookAnswers)}`,
      `peak RSS: worker ${mib(f.workerRss)}, gateway ${mib(f.gatewayRss)}, server ${serverPid ? mib(f.serverRss) : 'n/a (cluster)'}`,
      `CPU per invoice: worker ${f.workerCpuMs.toFixed(1)} ms, server ${serverPid ? `${f.serverCpuMs.toFixed(1)} ms` : 'n/a'}`,
      `server ceiling: ${M} no-op workflows (one activity) at ${ceilingRate.toFixed(0)}/s (server CPU ${f.serverCeilingCpuMs.toFixed(1)} ms each); the burst ran at ${((100 * N) / wall / ceilingRate).toFixed(1)}% of it`,
      `bare client starts: ${startRate.toFixed(0)}/s; gateway acknowledgements: ${ackRate.toFixed(0)}/s; at ${offered.toFixed(0)}/s offered: p50 ${f.gwP50.toFixed(1)} ms, p99 ${f.gwP99.toFixed(1)} ms`,
    ];
    say('');
    for (const l of lines) say(l);
    say('');
    for (const [name, ok, value] of targets) say(`${ok ? 'met   ' : 'MISSED'} ${name}: ${value}`);

    if (opts.write) {
      const svg = await completionChartSvg({
        completions: latencies,
        total: N,
        boundSeconds: bound,
        title: `${N} invoices: syncs completed over time vs the vendor bound`,
      });
      writeFileSync(join(ROOT, 'docs/benchmarks.svg'), svg);
      const generated = [
        `Run of ${started.toISOString()} on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}:`,
        '',
        '```text',
        ...lines,
        '```',
        '',
        '| Target | Result | Figure |',
        '| ------ | ------ | ------ |',
        ...targets.map(([name, ok, value]) => `| ${name} | ${ok ? 'met' : '**missed**'} | ${value} |`),
        '',
        '![Invoice syncs completed over time against the larger vendor bound](benchmarks.svg)',
      ].join('\n');
      const doc = join(ROOT, 'docs/benchmarks.md');
      const current = readFileSync(doc, 'utf8');
      const a = current.indexOf(BENCH_START);
      const b = current.indexOf(BENCH_END);
      if (a < 0 || b < a)
        throw new Error(`docs/benchmarks.md lacks the ${BENCH_START} … ${BENCH_END} markers`);
      writeFileSync(doc, `${current.slice(0, a + BENCH_START.length)}\n${generated}\n${current.slice(b)}`);
      say('\nwrote the figures into docs/benchmarks.md (between its markers) and docs/benchmarks.svg');
    }
  } finally {
    await runCleanups();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
