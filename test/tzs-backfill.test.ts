import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../src/activities/index.js';
import type { BackfillProgress } from '../src/flows/index.js';
import { createWorker, PRODUCTION_WORKFLOWS_PATH } from '../src/worker.js';
import { tempDir } from './connections/helpers.js';
import { post } from './helpers/billing.js';
import { startSimulatedConnection, type SimulatedConnection } from './helpers/simulators.js';
import { bundleFor, testConfig, uniqueTaskQueue } from './helpers/temporal.js';
import { testDataConverter, testKeyEnv } from './helpers/codec.js';
import { testEnv } from './hooks.js';

const CLI = fileURLToPath(new URL('../src/tzs/main.js', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('tzs backfill (spawned CLI, real Temporal, a real worker, both simulators)', function () {
  this.timeout(90_000);
  let env: SimulatedConnection;
  let dir: ReturnType<typeof tempDir>;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueTaskQueue('tzs-backfill');

  before(async () => {
    dir = tempDir('tzs-backfill-');
    env = await startSimulatedConnection();
    worker = await createWorker({
      config: testConfig(),
      connection: testEnv().nativeConnection,
      dataConverter: testDataConverter,
      taskQueue,
      workflowBundle: await bundleFor(PRODUCTION_WORKFLOWS_PATH),
      activities: createActivities({
        ...env.activityDeps,
        startSync: { client: testEnv().client, taskQueue, timeoutMs: 10_000 },
      }),
    });
    running = worker.run();
  });
  after(async () => {
    worker.shutdown();
    await running;
    await env.close();
    dir.remove();
  });

  function run(...args: string[]): Promise<Run> {
    const childEnv = {
      PATH: process.env['PATH'] ?? '',
      DATA_DIR: dir.path,
      LOG_LEVEL: 'warn',
      TEMPORAL_ADDRESS: testEnv().address,
      // The suite's keys: the payloads this process writes, the suite's client reads (and back).
      ...testKeyEnv(),
      TEMPORAL_TASK_QUEUE: taskQueue,
    };
    return new Promise((resolve, reject) => {
      const [program, argv] =
        args[0] === '--script--'
          ? ['script', ['-qec', args[1] ?? '', '/dev/null']]
          : [process.execPath, [CLI, ...args]];
      const child = spawn(program, argv, {
        env: childEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('--since "last week": a clear error naming --since and the format, exit 1, no stack trace, nothing started', async () => {
    const r = await run('backfill', 'invoices', '--connection', env.connectionId, '--since', 'last week');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--since: expected an ISO-8601 time with offset \(2026-11-01T00:00:00Z\)/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(r.stdout, '');
    const { count } = await testEnv().client.workflow.count(
      `WorkflowId="backfill:togai-invoices:${env.connectionId}"`,
    );
    assert.equal(count, 0);

    const order = await run(
      'backfill',
      'invoices',
      '--connection',
      env.connectionId,
      '--since',
      '2026-11-01T00:00:00Z',
      '--until',
      '2026-10-01T00:00:00Z',
    );
    assert.equal(order.code, 1);
    assert.match(order.stderr, /--until: expected a time after --since/);
  });

  it('a short real backfill with --json: every account synced, the summary as JSON; status shows it afterwards', async () => {
    const tag = randomBytes(3).toString('hex');
    const ids = Array.from({ length: 6 }, (_, i) => `zcli${tag}${i}`);
    await post(`${env.zuora.url}/__admin/seed`, {
      accounts: ids.map((id, i) => ({
        id,
        name: `CLI ${i}`,
        currency: 'USD',
        billToContact: { firstName: 'Ada', lastName: 'L', workEmail: `cli${i}@bf.example`, country: 'US' },
      })),
    });
    const dry = await run(
      'backfill',
      'accounts',
      '--connection',
      env.connectionId,
      '--from',
      'zuora',
      '--dry-run',
      '--json',
    );
    assert.equal(dry.code, 0, dry.stderr);
    const plan = JSON.parse(dry.stdout) as BackfillProgress;
    assert.equal(plan.dryRun, true);
    assert.equal(plan.plans?.create, ids.length);

    const r = await run(
      'backfill',
      'accounts',
      '--connection',
      env.connectionId,
      '--from',
      'zuora',
      '--concurrency',
      '3',
      '--json',
    );
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as BackfillProgress;
    assert.equal(summary.phase, 'done');
    assert.equal(summary.kind, 'zuora-accounts');
    assert.equal(summary.seen, ids.length);
    assert.deepEqual(summary.synced.records.map((x) => x.id).sort(), [...ids].sort());
    assert.equal(summary.failed.count, 0);
    const togai = await env.togaiState();
    for (const id of ids) assert.equal(togai.customers.filter((c) => c.id === `zuora-${id}`).length, 1);

    const status = await run(
      'backfill',
      'status',
      '--connection',
      env.connectionId,
      '--kind',
      'zuora-accounts',
    );
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /synced \(created\)\s*│\s*6/);
    assert.match(status.stdout, /phase\s*│\s*done/);

    const none = await run('backfill', 'pause', '--connection', env.connectionId, '--kind', 'zuora-accounts');
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no running backfill backfill:zuora-accounts:/);
  });

  it('on a terminal: a live progress bar on stderr, then the summary table; not on a terminal: plain progress lines', async () => {
    // util-linux `script` gives the CLI a pseudo-terminal, as an operator's shell would.
    const cmd = [
      process.execPath,
      CLI,
      'backfill',
      'accounts',
      '--connection',
      env.connectionId,
      '--from',
      'togai',
    ]
      .map((a) => `'${a}'`)
      .join(' ');
    const tty = await run('--script--', cmd);
    assert.equal(tty.code, 0, tty.stderr + tty.stdout);
    assert.match(tty.stdout, /togai-accounts \[[█░]+\] \d+\/\d+/, 'the progress bar');
    assert.match(tty.stdout, /phase\s*│\s*done/);
    assert.match(tty.stdout, /loop guard/, 'skipped IDs with reasons');

    const plain = await run('backfill', 'accounts', '--connection', env.connectionId, '--from', 'togai');
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(
      plain.stderr,
      /togai-accounts: \d+\/\d+ \w+, synced \d+, adopted \d+, skipped \d+, failed \d+/,
    );
    assert.doesNotMatch(plain.stderr, /\[[█░]+\]/, 'no bar off a terminal');
  });
});
