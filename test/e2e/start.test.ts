import assert from 'node:assert/strict';
import { exec, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { z } from 'zod';
import { freePort } from '../helpers/ports.js';

const startScript = fileURLToPath(new URL('../../src/start.js', import.meta.url));

const execAsync = promisify(exec);
async function sh(command: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return (await execAsync(command, { timeout: 60_000, env })).stdout;
}

async function waitForAsync(predicate: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function launch(
  dataDir: string,
  given?: number[],
): Promise<{ child: ChildProcess; output: () => string; ports: number[] }> {
  const ports = given ?? (await Promise.all(Array.from({ length: 10 }, () => freePort())));
  const [grpc, ui, gw, demoZuora, demoTogai, devHttp, devMetrics, workerMetrics, gatewayMetrics, codec] =
    ports.map(String);
  let output = '';
  const child = spawn(process.execPath, [startScript], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: '',
      DATA_DIR: dataDir,
      TEMPORAL_DEV_PORT: grpc,
      TEMPORAL_UI_PORT: ui,
      GATEWAY_PORT: gw,
      GATEWAY_HOST: '127.0.0.1',
      DEMO_ZUORA_PORT: demoZuora,
      DEMO_TOGAI_PORT: demoTogai,
      TEMPORAL_DEV_HTTP_PORT: devHttp,
      TEMPORAL_DEV_METRICS_PORT: devMetrics,
      WORKER_METRICS_PORT: workerMetrics,
      GATEWAY_METRICS_PORT: gatewayMetrics,
      CODEC_SERVER_PORT: codec,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output, ports };
}

describe('npm start (all-in-one mode)', function () {
  this.timeout(120_000);
  let child: ChildProcess | undefined;
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tzs-start-'));
  });
  after(async () => {
    if (child?.pid && alive(child.pid)) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts the dev server (SQLite, Web UI), worker, gateway and demo mode; Ctrl-C leaves no process behind', async () => {
    const launched = await launch(dataDir);
    child = launched.child;
    const [, ui, gw] = launched.ports;
    const out = launched.output;
    await waitFor(() => out().includes('Press Ctrl-C to stop') || child?.exitCode !== null, 90_000, 'start');
    assert.equal(child.exitCode, null, `still running; output:\n${out()}`);
    assert.match(out(), new RegExp(`Web UI:\\s+http://127\\.0\\.0\\.1:${ui}`));
    assert.match(out(), new RegExp(`Gateway:\\s+http://127\\.0\\.0\\.1:${gw}`));

    const health = await fetch(`http://127.0.0.1:${gw}/healthz`);
    assert.equal(health.status, 200);
    const body = (await health.json()) as { status: string; versions: { temporalSdk: string } };
    assert.equal(body.status, 'ok');
    assert.match(body.versions.temporalSdk, /^\d+\.\d+\.\d+/);
    assert.equal((await fetch(`http://127.0.0.1:${gw}/readyz`)).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${ui}/`)).status, 200, 'Web UI answers');

    // Demo mode (no connection yet): the printed walkthrough's first two steps create an account on
    // each side, and the callout / webhook they trigger sync it to the other side.
    assert.match(out(), /DEMO MODE: sandbox connection conn_/);
    const commands = out()
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^npm run demo -- (zuora|togai)-account$/.test(l));
    assert.equal(commands.length, 2, out());
    const demoEnv = {
      ...process.env,
      DEMO_ZUORA_PORT: String(launched.ports[3]),
      DEMO_TOGAI_PORT: String(launched.ports[4]),
    };
    const zuoraAnswer = z
      .object({ accountId: z.string() })
      .parse({ accountId: /\(id ([0-9a-f]{32})\)/.exec(await sh(commands[0] ?? '', demoEnv))?.[1] });
    await sh(commands[1] ?? '', demoEnv);
    const [zuoraSim, togaiSim] = [launched.ports[3], launched.ports[4]].map((p) => `http://127.0.0.1:${p}`);
    await waitForAsync(async () => {
      const togai = z
        .object({ customers: z.array(z.object({ id: z.string() })) })
        .parse(await (await fetch(`${togaiSim}/__admin/state`)).json());
      return togai.customers.some((c) => c.id === `zuora-${zuoraAnswer.accountId}`);
    }, 'the Zuora account synced to Togai');
    await waitForAsync(async () => {
      const zuora = z
        .object({ accounts: z.array(z.object({ name: z.string() })) })
        .parse(await (await fetch(`${zuoraSim}/__admin/state`)).json());
      return zuora.accounts.some((a) => a.name.startsWith('Togai Co '));
    }, 'the Togai account synced to Zuora');

    // The codec server runs, with the dev token, and the dev server's Web UI is pointed at it.
    const codecUrl = `http://127.0.0.1:${launched.ports[9]}`;
    assert.match(out(), new RegExp(`Codec:\\s+${codecUrl}`));
    const token = (await readFile(join(dataDir, 'codec-token'), 'utf8')).trim();
    const decode = (headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${launched.ports[9]}/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ payloads: [] }),
      });
    assert.equal((await decode({})).status, 401);
    assert.equal((await decode({ authorization: `Bearer ${token}` })).status, 200);
    const uiSettings = JSON.stringify(await (await fetch(`http://127.0.0.1:${ui}/api/v1/settings`)).json());
    assert.ok(uiSettings.includes(codecUrl), `the Web UI's codec endpoint: ${uiSettings}`);

    // /metrics after those syncs: the worker's (SDK runtime and the service's own counters) and the
    // gateway's (requests, what each webhook did).
    const [workerMetrics, gatewayMetrics] = [launched.ports[7], launched.ports[8]];
    assert.match(
      out(),
      new RegExp(
        `Metrics:\\s+worker http://127\\.0\\.0\\.1:${workerMetrics}/metrics, gateway http://127\\.0\\.0\\.1:${gatewayMetrics}/metrics`,
      ),
    );
    const gatewayText = await (await fetch(`http://127.0.0.1:${gatewayMetrics}/metrics`)).text();
    assert.match(
      gatewayText,
      /^tzs_webhook_deliveries_total\{source="zuora",flow="syncZuoraAccountToTogai",status="started"\} [1-9]/m,
    );
    assert.match(
      gatewayText,
      /^tzs_webhook_deliveries_total\{source="togai",flow="syncTogaiAccountToZuora",status="started"\} [1-9]/m,
    );
    assert.match(
      gatewayText,
      /^tzs_gateway_requests_total\{route="\/webhooks\/zuora",method="POST",status="200"\} [1-9]/m,
    );
    let workerText = '';
    await waitForAsync(async () => {
      workerText = await (await fetch(`http://127.0.0.1:${workerMetrics}/metrics`)).text();
      return /tzs_syncs_total\{[^}]*outcome="created"/.test(workerText);
    }, 'the sync counters on the worker /metrics');
    assert.match(workerText, /^tzs_syncs_total\{[^}]*flow="syncZuoraAccountToTogai"[^}]*\} [1-9]/m);
    assert.match(
      workerText,
      /^temporal_workflow_completed_total\{/m,
      'the SDK runtime metrics are exported too',
    );

    // Persistence: the dev server writes to DATA_DIR/temporal.db (WAL mode adds a -wal file).
    assert.ok(existsSync(join(dataDir, 'temporal.db')));
    const serverPid = Number(await readFile(join(dataDir, 'temporal.pid'), 'utf8'));
    assert.ok(alive(serverPid), 'dev server child runs');

    // A second start on the same data directory (other ports, so only the lock can stop it) is
    // refused with the reason, and the running instance is left untouched.
    const second = await launch(dataDir);
    await waitFor(() => second.child.exitCode !== null, 60_000, 'the second start to exit');
    assert.equal(second.child.exitCode, 75, second.output());
    assert.match(
      second.output(),
      new RegExp(`another togai-zuora-sync instance is running on DATA_DIR=\\S+ \\(pid ${child.pid} on `),
    );
    assert.doesNotMatch(second.output(), /^\s+at /m, 'no stack trace');
    assert.ok(alive(serverPid), 'the first instance keeps its dev server');
    assert.equal(Number(await readFile(join(dataDir, 'temporal.pid'), 'utf8')), serverPid);
    assert.equal(
      (await fetch(`http://127.0.0.1:${gw}/readyz`)).status,
      200,
      'the first instance still serves',
    );

    child.kill('SIGINT');
    await waitFor(() => child?.exitCode !== null, 30_000, 'exit after SIGINT');
    assert.equal(child.exitCode, 0, out());
    await waitFor(() => !alive(serverPid), 10_000, 'dev server exit');
    assert.ok(!existsSync(join(dataDir, 'temporal.pid')), 'pid file removed on clean stop');
    await assert.rejects(fetch(`http://127.0.0.1:${gw}/healthz`), 'gateway port closed');
  });

  it('stops cleanly on Ctrl-C during start-up, leaving no dev server behind', async () => {
    const launched = await launch(dataDir);
    child = launched.child;
    const pidFile = join(dataDir, 'temporal.pid');
    await waitFor(() => existsSync(pidFile) || child?.exitCode !== null, 60_000, 'dev server spawn');
    const serverPid = Number(await readFile(pidFile, 'utf8'));
    child.kill('SIGINT');
    await waitFor(() => child?.exitCode !== null, 30_000, 'exit after SIGINT');
    await waitFor(() => !alive(serverPid), 10_000, 'dev server exit');
    assert.ok(!alive(serverPid));
  });

  it('a taken gateway port stops the start at once, naming the port and its variable, and starts nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tzs-start-port-'));
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (taken.address() as AddressInfo).port;
      const ports = await Promise.all(Array.from({ length: 9 }, () => freePort()));
      ports[2] = port;
      const launched = await launch(dir, ports);
      await waitFor(() => launched.child.exitCode !== null, 60_000, 'the start to exit');
      assert.equal(launched.child.exitCode, 75, launched.output());
      assert.match(
        launched.output(),
        new RegExp(
          `port ${port} on 127\\.0\\.0\\.1 \\(the gateway, GATEWAY_PORT\\) is already in use: .* or set GATEWAY_PORT to a free port`,
        ),
      );
      assert.doesNotMatch(launched.output(), /is running/);
      assert.doesNotMatch(launched.output(), /^\s+at /m, 'no stack trace');
      assert.ok(!existsSync(join(dir, 'temporal.pid')), 'no dev server was started');
      assert.ok(!existsSync(join(dir, 'instance.json')), 'the lock was released');
    } finally {
      taken.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('after a SIGKILL the next start takes over the lock and reaps the orphaned dev server', async () => {
    const first = await launch(dataDir);
    child = first.child;
    await waitFor(
      () => first.output().includes('Press Ctrl-C to stop') || first.child.exitCode !== null,
      90_000,
      'start',
    );
    assert.equal(first.child.exitCode, null, first.output());
    const orphan = Number(await readFile(join(dataDir, 'temporal.pid'), 'utf8'));
    first.child.kill('SIGKILL');
    await waitFor(() => first.child.exitCode !== null || first.child.signalCode !== null, 10_000, 'the kill');
    assert.ok(alive(orphan), 'the killed instance left its dev server running');

    // Same ports: the orphan holds them until the new start, holding the lock, stops it.
    const next = await launch(dataDir, first.ports);
    child = next.child;
    await waitFor(
      () => next.output().includes('Press Ctrl-C to stop') || next.child.exitCode !== null,
      90_000,
      'restart',
    );
    assert.equal(next.child.exitCode, null, next.output());
    assert.ok(!alive(orphan), 'the orphaned dev server was reaped');
    next.child.kill('SIGINT');
    await waitFor(() => next.child.exitCode !== null, 30_000, 'exit after SIGINT');
    assert.equal(next.child.exitCode, 0, next.output());
  });
});
