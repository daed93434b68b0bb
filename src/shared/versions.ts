import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { z } from 'zod';

const pkg = z.object({ name: z.string(), version: z.string() });
const require = createRequire(import.meta.url);

function versionOf(path: string): string {
  return pkg.parse(JSON.parse(readFileSync(require.resolve(path), 'utf8'))).version;
}

/** Versions reported by /healthz and at start, so an operator can tell what is running. */
export function versions(): { service: string; node: string; temporalSdk: string } {
  return {
    service: pkg.parse(JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')))
      .version,
    node: process.versions.node,
    temporalSdk: versionOf('@temporalio/client/package.json'),
  };
}
