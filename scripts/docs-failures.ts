/**
 * `npm run docs:failures`: writes the failure-type table of src/shared/failures.ts into
 * docs/architecture.md between its `failure-table` markers (run prettier afterwards, as
 * `npm run format` does). `--check` only compares, exiting 1 when the docs differ from the code.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { failureTableMarkdown } from '../src/shared/failures.js';

export const ARCHITECTURE_DOC = new URL('../../docs/architecture.md', import.meta.url);
const START = '<!-- failure-table:start -->';
const END = '<!-- failure-table:end -->';

/** The rows of a markdown table as trimmed cells, so alignment padding never counts. */
export function tableCells(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((l) => l.trim().startsWith('|') && !/^\|[\s|:-]+\|$/.test(l.trim()))
    .map((l) =>
      l
        .trim()
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    );
}

/** The table currently in the docs, between the markers. */
export function documentedTable(doc: string): string {
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`docs/architecture.md has no ${START} … ${END} block`);
  return doc.slice(a + START.length, b);
}

if (process.argv[1]?.endsWith('docs-failures.js')) {
  const doc = readFileSync(ARCHITECTURE_DOC, 'utf8');
  const table = failureTableMarkdown();
  if (process.argv.includes('--check')) {
    const same = JSON.stringify(tableCells(documentedTable(doc))) === JSON.stringify(tableCells(table));
    console.log(
      same ? 'docs/architecture.md: failure table up to date' : 'docs/architecture.md: failure table differs',
    );
    process.exitCode = same ? 0 : 1;
  } else {
    const a = doc.indexOf(START) + START.length;
    writeFileSync(ARCHITECTURE_DOC, `${doc.slice(0, a)}\n${table}\n${doc.slice(doc.indexOf(END))}`);
    console.log('docs/architecture.md: failure table written');
  }
}
