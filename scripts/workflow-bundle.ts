/**
 * `npm run bundle:size`: builds the worker's workflow bundle as the worker does and prints its
 * size and the packages inside it, largest first, so what enters the workflow sandbox is seen
 * (docs/architecture.md, "Workflow bundle"). Exits 1 when a package that does not belong in
 * workflow code is found.
 */
import { readFileSync } from 'node:fs';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { PRODUCTION_WORKFLOWS_PATH } from '../src/worker.js';

/** Never in the sandbox: validation, I/O and process-level packages (the list eslint.config.js enforces). */
export const FORBIDDEN_IN_BUNDLE = (
  JSON.parse(readFileSync(new URL('../../workflow-boundaries.json', import.meta.url), 'utf8')) as {
    ioPackages: string[];
  }
).ioPackages;

export interface BundleReport {
  bytes: number;
  /** Bytes of source per package (`(project)` for the service's own files), from the source map. */
  packages: Map<string, number>;
}

export async function workflowBundleReport(): Promise<BundleReport> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: PRODUCTION_WORKFLOWS_PATH,
    logger: new DefaultLogger('WARN'),
  });
  // The SDK inlines the source map at the end of the code.
  const marker = '//# sourceMappingURL=data:application/json;charset=utf-8;base64,';
  const at = code.lastIndexOf(marker);
  const body = at >= 0 ? code.slice(0, at) : code;
  const encoded = at >= 0 ? code.slice(at + marker.length).trim() : '';
  const map = (encoded ? JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) : { sources: [] }) as {
    sources: string[];
    sourcesContent?: (string | null)[];
  };
  const packages = new Map<string, number>();
  map.sources.forEach((source, i) => {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
    const name = match?.[1] ?? '(project)';
    packages.set(name, (packages.get(name) ?? 0) + (map.sourcesContent?.[i]?.length ?? 0));
  });
  return { bytes: Buffer.byteLength(body), packages };
}

async function main(): Promise<void> {
  const report = await workflowBundleReport();
  const kb = (n: number): string => `${(n / 1024).toFixed(1)} kB`;
  console.log(
    `workflow bundle: ${kb(report.bytes)} (${report.bytes} bytes of JavaScript, source map excluded)`,
  );
  console.log('sources by package (uncompiled source size):');
  for (const [name, bytes] of [...report.packages].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${kb(bytes).padStart(10)}  ${name}`);
  }
  const forbidden = FORBIDDEN_IN_BUNDLE.filter((p) => report.packages.has(p));
  if (forbidden.length > 0) {
    console.error(`not workflow code, yet in the bundle: ${forbidden.join(', ')}`);
    process.exitCode = 1;
  }
}

if (process.argv[1]?.endsWith('workflow-bundle.js')) await main();
