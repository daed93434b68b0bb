import assert from 'node:assert/strict';
import { exec, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { z } from 'zod';
import { freePort } from '../helpers/ports.js';

const startScript = fileURLToPath(new URL('../../src/start.js', import.meta.url));

const execAsync = promisify(exec);
async function sh(command: string): Promise<string> {
  return (await execAsync(command, { timeout: 10_000 })).stdout;
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
): Promise<{ child: ChildProcess; output: () => string; ports: number[] }> {
  const ports = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  ports.push(await freePort());
  const [grpc, ui, gw, demoZuora, demoTogai, codec] = ports.map(String);
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

    // Demo mode (no connection yet): the printed commands create an account on each side, and
    // the callout / webhook they trigger sync it to the other side.
    assert.match(out(), /DEMO MODE: sandbox connection conn_/);
    const commands = out()
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('curl '));
    assert.equal(commands.length, 2, out());
    const zuoraAnswer = z.object({ accountId: z.string() }).parse(JSON.parse(await sh(commands[0] ?? '')));
    await sh(commands[1] ?? '');
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
      return zuora.accounts.some((a) => a.name === 'Demo Togai Co');
    }, 'the Togai account synced to Zuora');

    // The codec server runs, with the dev token, and the dev server's Web UI is pointed at it.
    const codecUrl = `http://localhost:${launched.ports[5]}`;
    assert.match(out(), new RegExp(`Codec:\\s+${codecUrl}`));
    const token = (await readFile(join(dataDir, 'codec-token'), 'utf8')).trim();
    const decode = (headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${launched.ports[5]}/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ payloads: [] }),
      });
    assert.equal((await decode({})).status, 401);
    assert.equal((await decode({ authorization: `Bearer ${token}` })).status, 200);
    const uiSettings = JSON.stringify(await (await fetch(`http://127.0.0.1:${ui}/api/v1/settings`)).json());
    assert.ok(uiSettings.includes(codecUrl), `the Web UI's codec endpoint: ${uiSettings}`);

    // Persistence: the dev server writes to DATA_DIR/temporal.db (WAL mode adds a -wal file).
    assert.ok(existsSync(join(dataDir, 'temporal.db')));
    const serverPid = Number(await readFile(join(dataDir, 'temporal.pid'), 'utf8'));
    assert.ok(alive(serverPid), 'dev server child runs');

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
});
