import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { stripProse } from '../../scripts/vendor-contracts.js';
import { contractPath } from '../../src/common/openapi.js';

describe('scripts/vendor-contracts', () => {
  it('strips prose but keeps data: property names, examples, enums and the Response Object description', () => {
    const out = stripProse({
      info: { title: 't', description: 'prose' },
      paths: {
        '/x': {
          get: {
            description: 'prose',
            'x-code-samples': [{ lang: 'curl', source: 'curl …' }],
            responses: { '200': { description: 'OK, long prose', content: {} }, '404': { $ref: '#/r' } },
          },
        },
      },
      components: {
        schemas: {
          Item: {
            description: 'prose',
            properties: { description: { type: 'string', description: 'prose' } },
            example: { description: 'data' },
            enum: ['a'],
          },
        },
      },
    });
    assert.deepEqual(out, {
      info: { title: 't' },
      paths: {
        '/x': { get: { responses: { '200': { description: '', content: {} }, '404': { $ref: '#/r' } } } },
      },
      components: {
        schemas: {
          Item: {
            properties: { description: { type: 'string' } },
            example: { description: 'data' },
            enum: ['a'],
          },
        },
      },
    });
  });

  it('the vendored contracts are in the repository and name their source', () => {
    for (const file of ['zuora/zuora-openapi-subset.yaml', 'togai/togai-openapi.yaml']) {
      const text = readFileSync(contractPath(file), 'utf8');
      assert.match(text.split('\n')[0] ?? '', /^# Vendored by scripts\/vendor-contracts\.ts/);
      const doc = parse(text, { maxAliasCount: -1 }) as { openapi: string };
      assert.match(doc.openapi, /^3\.0\./);
    }
  });
});
