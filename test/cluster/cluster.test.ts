import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runChaos } from '../helpers/chaos.js';

/**
 * The cluster topology (issue 12): the Temporal server built from source on PostgreSQL with SQL
 * visibility (scripts/cluster/up.sh), two worker processes and two gateways sharing the PostgreSQL
 * connection store, a few dozen syncs under vendor faults, one worker SIGKILLed every 15 s.
 * Needs root and PostgreSQL: runs when TEST_TEMPORAL_CLUSTER=1 and TEST_DATABASE_URL are set
 * (`.ci/run` sets both).
 */
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const run = promisify(execFile);
const DATA_DIR = '/tmp/tzs-test-cluster';
// Ports apart from the stock 7233 a developer's own cluster may hold.
const CLUSTER_ENV = { ...process.env, TEMPORAL_FRONTEND_PORT: '17233', TZS_CLUSTER_DIR: DATA_DIR };

describe('Temporal cluster (server binary on PostgreSQL), 2 workers, 2 gateways, PostgreSQL store', function () {
  this.timeout(40 * 60_000);
  const enabled = process.env['TEST_TEMPORAL_CLUSTER'] === '1' && process.env['TEST_DATABASE_URL'];
  if (!enabled) {
    it('DID NOT RUN: set TEST_TEMPORAL_CLUSTER=1 and TEST_DATABASE_URL (as .ci/run does)');
    return;
  }
  let address = '';
  before(async () => {
    const { stdout } = await run(`${ROOT}scripts/cluster/up.sh`, [DATA_DIR], {
      env: CLUSTER_ENV,
      maxBuffer: 1 << 24,
    });
    address = stdout.trim().split('\n').at(-1) ?? '';
    assert.match(address, /^127\.0\.0\.1:\d+$/);
  });
  after(async () => {
    await run(`${ROOT}scripts/cluster/down.sh`, [DATA_DIR, '--purge'], { env: CLUSTER_ENV });
  });

  it('30 syncs with a worker killed: nothing lost, nothing duplicated, every run completed', async () => {
    const { code, output, result } = await runChaos([
      '--syncs',
      '30',
      '--temporal-address',
      address,
      '--workers',
      '2',
      '--gateways',
      '2',
      '--database-url',
      process.env['TEST_DATABASE_URL'] ?? '',
      '--kill-every',
      '15',
      '--no-server-restart',
      '--timeout-minutes',
      '20',
    ]);
    assert.ok(result, `no CHAOS_RESULT line:\n${output.slice(-5000)}`);
    assert.equal(result.present, 30, output.slice(-3000));
    assert.equal(result.lost, 0);
    assert.equal(result.duplicates, 0);
    assert.equal(result.wrongUsage, 0);
    assert.equal(result.unmapped, 0);
    assert.equal(result.failedRuns, 0);
    assert.equal(result.runningRuns, 0);
    assert.ok(result.workerKills >= 1, 'a worker was killed');
    assert.equal(code, 0);
  });
});
