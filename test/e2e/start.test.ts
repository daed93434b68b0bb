import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/ports.js';

const startScript = fileURLToPath(new URL('../../src/start.js', import.meta.url));

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
  const ports = [await freePort(), await freePort(), await freePort()];
  const [grpc, ui, gw] = ports.map(String);
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

  it('starts the dev server (SQLite, Web UI), worker and gateway, and Ctrl-C leaves no process behind', async () => {
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
