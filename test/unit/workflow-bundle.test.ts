import assert from 'node:assert/strict';
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
