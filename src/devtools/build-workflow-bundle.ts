/**
 * `npm run build`'s last step: bundles the production workflows once, at build time, into
 * `dist/workflow-bundle.js`, so a worker loads finished code instead of running webpack at start
 * (webpack in the worker costs seconds and a few hundred MB of peak RSS, which never returns to
 * the OS: docs/benchmarks.md). `workflowBundleFor` in src/worker.ts uses it only while it is newer
 * than every compiled module the workflows can import; otherwise the worker bundles as before.
 */
import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { isMain } from '../shared/process.js';
import { PREBUILT_WORKFLOW_BUNDLE, PRODUCTION_WORKFLOWS_PATH, prebuiltWorkflowBundle } from '../worker.js';

export async function buildWorkflowBundle(): Promise<number> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: PRODUCTION_WORKFLOWS_PATH,
    logger: new DefaultLogger('WARN'),
  });
  await writeFile(PREBUILT_WORKFLOW_BUNDLE, code);
  return Buffer.byteLength(code);
}

if (isMain(import.meta.url)) {
  // `npm start` builds first: when no compiled workflow module changed (tsc -b wrote nothing), the
  // bundle is still good and the start takes no build time. `--force` rebuilds anyway.
  if (!process.argv.includes('--force') && prebuiltWorkflowBundle()) {
    console.log(`build: up to date, nothing recompiled (workflow bundle ${PREBUILT_WORKFLOW_BUNDLE})`);
    process.exit(0);
  }
  buildWorkflowBundle().then(
    (bytes) => console.log(`workflow bundle: ${PREBUILT_WORKFLOW_BUNDLE} (${(bytes / 1024).toFixed(0)} kB)`),
    (err: unknown) => {
      console.error('workflow bundle failed:', err);
      process.exit(1);
    },
  );
}
