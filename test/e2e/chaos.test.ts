import assert from 'node:assert/strict';
import { runChaos } from '../helpers/chaos.js';

/**
 * The small `npm run chaos` (issue 12): 40 syncs of every kind on a dev server of its own while
 * both simulators fail in every way they can, the worker is SIGKILLed every 20 s and the server is
 * restarted once. The full run (1,000 syncs) is `npm run chaos`; its figures are in docs/benchmarks.md.
 */
describe('Chaos: 40 syncs under vendor faults, worker kills and a server restart (scripts/chaos.ts)', function () {
  this.timeout(20 * 60_000);

  it('loses nothing and duplicates nothing; every run completed', async () => {
    const { code, output, result } = await runChaos([
      '--syncs',
      '40',
      '--kill-every',
      '10',
      '--timeout-minutes',
      '15',
    ]);
    assert.ok(result, `no CHAOS_RESULT line:\n${output.slice(-5000)}`);
    assert.equal(result.present, 40, output.slice(-3000));
    assert.equal(result.lost, 0);
    assert.equal(result.duplicates, 0);
    assert.equal(result.wrongUsage, 0);
    assert.equal(result.unmapped, 0);
    assert.equal(result.failedRuns, 0);
    assert.equal(result.runningRuns, 0);
    assert.ok(result.workerKills >= 1, 'the worker was killed at least once');
    assert.equal(result.serverRestarts, 1);
    const injected = Object.values(result.faultsInjected.zuora).reduce((a, b) => a + b, 0);
    assert.ok(injected > 0, 'faults were injected');
    assert.equal(code, 0);
  });
});
