import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { FLOW } from '../../src/flows/index.js';
import { testDataConverter } from '../helpers/codec.js';
import { bundleFor } from '../helpers/temporal.js';
import { PRODUCTION_WORKFLOWS_PATH } from '../../src/worker.js';

/**
 * Histories recorded from real runs of earlier versions (test/fixtures/histories, with where and
 * when each set was recorded in its README) replayed against today's workflow code: a workflow
 * still running when a new version is deployed must replay on it without a nondeterminism error.
 */
const DIR = fileURLToPath(new URL('../../../test/fixtures/histories/', import.meta.url));

describe('Replay of recorded histories against the current workflow code', function () {
  this.timeout(120_000);
  const files = readdirSync(DIR).filter((f) => f.endsWith('.pb'));

  it('has recorded histories of every flow, completed and failed ones', () => {
    for (const type of Object.values(FLOW)) {
      assert.ok(
        files.some((f) => f.startsWith(`${type}-completed-`)),
        `no completed ${type} history in ${DIR}`,
      );
    }
    assert.ok(
      files.some((f) => f.includes('-failed-')),
      'no failed history',
    );
  });

  it('replays each one without a nondeterminism error', async () => {
    const histories = files.map((file) => ({
      workflowId: file,
      history: proto.temporal.api.history.v1.History.decode(readFileSync(`${DIR}${file}`)),
    }));
    const results = Worker.runReplayHistories(
      // Histories recorded before the codec are plain and pass through; later ones use FIXTURE_KEY.
      { workflowBundle: await bundleFor(PRODUCTION_WORKFLOWS_PATH), dataConverter: testDataConverter },
      histories,
    );
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of results) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    assert.equal(replayed, files.length);
    assert.deepEqual(failures, []);
  });
});
