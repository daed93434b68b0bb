/**
 * Vendors the official OpenAPI contracts into `contracts/` so a fresh clone needs nothing outside
 * the repository. Prose (descriptions, code samples) is stripped: it bloats the files and carries
 * no contract. Everything else is copied as is; the Togai `$ref`-sibling normalisation happens at
 * load time (src/common/openapi.ts) so the vendored file stays faithful to its source.
 *
 *   npx tsc -p . && node dist/scripts/vendor-contracts.js [sourceDir]
 *
 * sourceDir defaults to ../shared/contracts (the read-only drop next to the work tree).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Keys dropped everywhere except inside data (examples) and property-name maps. */
const PROSE_KEYS = new Set(['description', 'x-code-samples', 'x-codeSamples', 'externalDocs']);

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `context` tells what the node is: a name-keyed map (whose keys are user names, never keywords),
 * a responses map (whose values are Response Objects, where OpenAPI 3.0 requires `description`),
 * or an ordinary object.
 */
export function stripProse(node: Json, context: 'object' | 'names' | 'responses' = 'object'): Json {
  if (Array.isArray(node)) return node.map((n) => stripProse(n));
  if (!isObject(node)) return node;
  const out: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(node)) {
    if (context === 'names') {
      out[key] = stripProse(value);
      continue;
    }
    if (context === 'responses') {
      const response = stripProse(value);
      // A Response Object must keep a description (OpenAPI 3.0); a $ref must not get one.
      out[key] = isObject(response) && !('$ref' in response) ? { description: '', ...response } : response;
      continue;
    }
    if (PROSE_KEYS.has(key) && (typeof value === 'string' || key !== 'description')) continue;
    if (key === 'example' || key === 'default' || key === 'enum') out[key] = value;
    else if (key === 'examples' && isObject(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, ex]) => [
          name,
          isObject(ex) ? Object.fromEntries(Object.entries(ex).filter(([k]) => k !== 'description')) : ex,
        ]),
      );
    } else if (key === 'properties' || key === 'patternProperties') out[key] = stripProse(value, 'names');
    else if (key === 'responses') out[key] = stripProse(value, 'responses');
    else out[key] = stripProse(value);
  }
  return out;
}

interface Source {
  file: string;
  target: string;
}

const SOURCES: Source[] = [
  { file: 'zuora-openapi-subset.yaml', target: 'zuora/zuora-openapi-subset.yaml' },
  { file: 'togai-openapi.yaml', target: 'togai/togai-openapi.yaml' },
];

export function vendor(sourceDir: string, contractsDir: string): string[] {
  const written: string[] = [];
  for (const source of SOURCES) {
    const raw = readFileSync(join(sourceDir, source.file), 'utf8');
    const doc = stripProse(parse(raw, { maxAliasCount: -1 }) as Json);
    const target = join(contractsDir, source.target);
    mkdirSync(dirname(target), { recursive: true });
    const header = `# Vendored by packages/simulators/scripts/vendor-contracts.ts from ${source.file}; prose stripped. Source and version: contracts/README.md\n`;
    writeFileSync(target, header + stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false }));
    written.push(target);
  }
  return written;
}

const here = dirname(fileURLToPath(import.meta.url));
// dist/scripts → the package root; the team's shared folder sits beside the repository.
const root = resolve(here, '..', '..');
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const sourceDir = resolve(process.argv[2] ?? join(root, '..', '..', '..', 'shared', 'contracts'));
  for (const file of vendor(sourceDir, join(root, 'contracts'))) console.log(`wrote ${file}`);
}
