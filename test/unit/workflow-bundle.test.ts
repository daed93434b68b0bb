import assert from 'node:assert/strict';
import { statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  PREBUILT_WORKFLOW_BUNDLE,
  PRODUCTION_WORKFLOWS_PATH,
  prebuiltWorkflowBundle,
} from '../../src/worker.js';
import { FORBIDDEN_IN_BUNDLE, workflowBundleReport } from '../../scripts/workflow-bundle.js';

describe('workflow bundle', function () {
  this.timeout(120_000);

  it('carries no package that is not workflow code (zod, got, pino, the Temporal client, …)', async () => {
    const report = await workflowBundleReport();
    assert.ok(report.packages.has('@temporalio/workflow') && report.packages.has('(project)'));
    assert.deepEqual(
      FORBIDDEN_IN_BUNDLE.filter((p) => report.packages.has(p)),
      [],
    );
  });
});

describe('prebuilt workflow bundle (npm run build → dist/workflow-bundle.js)', () => {
  it('is used while newer than every compiled workflow module, and not once one is newer', () => {
    // `npm test` builds first, so the bundle exists and is fresh.
    assert.deepEqual(prebuiltWorkflowBundle(), { codePath: PREBUILT_WORKFLOW_BUNDLE });
    const bundleTime = statSync(PREBUILT_WORKFLOW_BUNDLE).mtime;
    const module = join(dirname(PRODUCTION_WORKFLOWS_PATH), 'index.js');
    const before = statSync(module);
    try {
      // A `tsc` run without the bundle step: a workflow module newer than the bundle.
      utimesSync(module, before.atime, new Date(bundleTime.getTime() + 60_000));
      assert.equal(prebuiltWorkflowBundle(), undefined, 'a stale bundle is never loaded');
    } finally {
      utimesSync(module, before.atime, before.mtime);
    }
    assert.deepEqual(prebuiltWorkflowBundle(), { codePath: PREBUILT_WORKFLOW_BUNDLE });
  });
});
