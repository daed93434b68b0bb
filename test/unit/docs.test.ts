import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ARCHITECTURE_DOC, documentedTable, tableCells } from '../../scripts/docs-failures.js';
import { FAILURE_TYPES, failureTableMarkdown } from '../../src/shared/failures.js';

describe('docs/architecture.md', () => {
  it('prints the failure types of src/shared/failures.ts, every one, as they are (npm run docs:failures)', () => {
    const documented = tableCells(documentedTable(readFileSync(ARCHITECTURE_DOC, 'utf8')));
    assert.deepEqual(documented, tableCells(failureTableMarkdown()));
    assert.equal(documented.length - 1, Object.keys(FAILURE_TYPES).length);
  });
});
