import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SearchAttributeType } from '@temporalio/common';
import {
  invoiceAdmission,
  invoiceSweep,
  togaiAccountToZuora,
  togaiInvoiceToZuora,
  zuoraAccountToTogai,
} from '../../src/flows/index.js';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/shared/search-attributes.js';

/**
 * Search attributes and workflow IDs are not payloads: the payload codec never encrypts them, so
 * they must hold IDs and outcomes only, never a customer's name, email, address or an amount
 * (issue 14). This is the documented content of each key, and the value expressions allowed to
 * feed it; a new key, or a new upsert feeding a key from anything else, fails here.
 */
const CONTENT: Record<string, { holds: string; type: SearchAttributeType; value: RegExp }> = {
  TzsConnectionId: {
    holds: 'the connection id (conn_…)',
    type: SearchAttributeType.KEYWORD,
    value: /^(\w+\.)*connectionId$/,
  },
  TzsFlow: {
    holds: 'the workflow type of the flow',
    type: SearchAttributeType.KEYWORD,
    value: /^(\w+\.workflowType|flow|sa\.flow)$/,
  },
  TzsZuoraAccountId: {
    holds: 'the Zuora account id',
    type: SearchAttributeType.KEYWORD,
    value: /^(\w+\.)*zuoraAccountId$/,
  },
  TzsTogaiAccountId: {
    holds: 'the Togai account id',
    type: SearchAttributeType.KEYWORD,
    value: /^(\w+\.)*togaiAccountId$/,
  },
  TzsTogaiInvoiceId: {
    holds: 'the Togai invoice id',
    type: SearchAttributeType.KEYWORD,
    value: /^(\w+\.)*togaiInvoiceId$/,
  },
  TzsSkippedUsageLines: {
    holds: 'a count of lines',
    type: SearchAttributeType.INT,
    value: /^skippedLines\.length$/,
  },
  TzsPendingUsageLines: { holds: 'a count of lines', type: SearchAttributeType.INT, value: /^pending$/ },
  TzsPendingSince: { holds: 'a time', type: SearchAttributeType.DATETIME, value: /^new Date\(/ },
  TzsPendingReruns: { holds: 'a count of reruns', type: SearchAttributeType.INT, value: /reruns/ },
  TzsOutcome: { holds: 'an outcome (SyncOutcome)', type: SearchAttributeType.KEYWORD, value: /^outcome$/ },
  TzsOutcomeReason: {
    holds: 'a reason kind or a failure type',
    type: SearchAttributeType.KEYWORD,
    value: /^reason$/,
  },
};

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

describe('Search attributes and workflow IDs hold IDs and outcomes only (they are not encrypted)', () => {
  it('every search attribute has documented content of an ID, outcome, count or time type; none is free text', () => {
    assert.deepEqual(ALL_SEARCH_ATTRIBUTES.map((k) => k.name).sort(), Object.keys(CONTENT).sort());
    for (const key of ALL_SEARCH_ATTRIBUTES) {
      assert.equal(key.type, CONTENT[key.name]?.type, `${key.name} holds ${CONTENT[key.name]?.holds}`);
      assert.notEqual(key.type, SearchAttributeType.TEXT, `${key.name} is free text`);
    }
  });

  it('every place that sets one feeds it only from its allowed value (source scan of src/)', () => {
    const setters: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\{\s*key:\s*SA\.(\w+),\s*value:\s*([^}]+?)\s*\}/g)) {
        const [, field, value] = m;
        const key = ALL_SEARCH_ATTRIBUTES.find(
          (k) => k.name === `Tzs${field![0]!.toUpperCase()}${field!.slice(1)}`,
        );
        assert.ok(key, `${file}: SA.${field} is not a known key`);
        const rule = CONTENT[key.name]!;
        assert.match(value!, rule.value, `${file}: ${key.name} (${rule.holds}) set from \`${value}\``);
        setters.push(key.name);
      }
    }
    // The scan finds the setters (a changed code shape would make it vacuous).
    assert.ok(setters.length >= 20, `found ${setters.length} setters`);
    for (const name of ['TzsConnectionId', 'TzsZuoraAccountId', 'TzsTogaiAccountId', 'TzsOutcome']) {
      assert.ok(setters.includes(name), `${name} is set somewhere`);
    }
  });

  it('workflow and schedule IDs are made of the connection id and the object id only', () => {
    const builders: [string, (...ids: string[]) => string, number][] = [
      ['flow 1', zuoraAccountToTogai.workflowId, 2],
      ['flow 2', togaiAccountToZuora.workflowId, 2],
      ['invoice sync', togaiInvoiceToZuora.workflowId, 2],
      ['admission queue', invoiceAdmission.workflowId, 1],
      ['sweep schedule', invoiceSweep.scheduleId, 1],
    ];
    for (const [what, build, arity] of builders) {
      const ids = ['IDONE', 'IDTWO'].slice(0, arity);
      const id = build(...ids);
      let rest = id;
      for (const part of ids) {
        assert.ok(rest.includes(part), `${what}: ${id} carries ${part}`);
        rest = rest.replace(part, '');
      }
      assert.match(rest, /^[a-z:-]+$/, `${what}: ${id} holds nothing but the ids and a fixed prefix`);
    }
  });
});
