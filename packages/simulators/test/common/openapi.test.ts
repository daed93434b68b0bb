import assert from 'node:assert/strict';
import { OpenAPIBackend, type Document } from 'openapi-backend';
import {
  loadContract,
  normalizeRefSiblings,
  OpenApiContract,
  type JsonValue,
} from '../../src/common/openapi.js';

/** A small document with the Togai defect: a key beside `$ref`. */
function docWithRefSibling(): JsonValue {
  return {
    openapi: '3.0.3',
    info: { title: 't', version: '1' },
    paths: {
      '/things': {
        get: {
          operationId: 'listThings',
          parameters: [
            { in: 'query', name: 'filter[]', schema: { type: 'array', items: { type: 'string' } } },
          ],
          responses: {
            '200': {
              description: '',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['thing'],
                    properties: { thing: { $ref: '#/components/schemas/Thing', nullable: true } },
                  },
                },
              },
            },
          },
        },
        post: {
          operationId: 'createThing',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } },
          },
          responses: { '201': { description: '' } },
        },
      },
    },
    components: {
      schemas: {
        Thing: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string', maxLength: 5 } },
        },
      },
    },
  };
}

describe('simulators/common/openapi', () => {
  it('drops the siblings of $ref and counts them', () => {
    const { document, changed } = normalizeRefSiblings(docWithRefSibling());
    assert.equal(changed, 1);
    assert.match(JSON.stringify(document), /"thing":\{"\$ref":"#\/components\/schemas\/Thing"\}/);
  });

  it('the un-normalised document is refused by strict tooling, the normalised one is accepted', async () => {
    const strict = new OpenAPIBackend({
      definition: docWithRefSibling() as unknown as Document,
      strict: true,
    });
    await strict.loadDocument();
    assert.throws(() => strict.validateDefinition(), /not valid OpenAPI/);
    const contract = await OpenApiContract.fromDocument(docWithRefSibling());
    assert.equal(contract.normalizedRefSiblings, 1);
    assert.deepEqual(
      contract.operations().map((o) => o.operationId),
      ['listThings', 'createThing'],
    );
  });

  it('validates requests: body schema, array query parameters named with []', async () => {
    const contract = await OpenApiContract.fromDocument(docWithRefSibling());
    const ok = contract.validateRequest({
      method: 'POST',
      path: '/things',
      headers: { 'content-type': 'application/json' },
      body: { name: 'abc' },
    });
    assert.deepEqual(ok, { operationId: 'createThing', issues: [] });
    const bad = contract.validateRequest({
      method: 'POST',
      path: '/things',
      headers: {},
      body: { name: 'toolong', x: 1 },
    });
    assert.equal(bad.operationId, 'createThing');
    assert.ok(bad.issues.length >= 1, JSON.stringify(bad.issues));
    const query = contract.validateRequest({
      method: 'GET',
      path: '/things',
      rawQuery: 'filter[]=a.EQ:b',
      headers: {},
    });
    assert.deepEqual(query.issues, []);
    assert.equal(
      contract.validateRequest({ method: 'GET', path: '/nope', headers: {} }).operationId,
      undefined,
    );
  });

  it('validates responses: undeclared status and schema mismatches are reported', async () => {
    const contract = await OpenApiContract.fromDocument(docWithRefSibling());
    assert.deepEqual(contract.validateResponse('listThings', 200, { thing: { name: 'a' } }), []);
    assert.equal(contract.validateResponse('listThings', 200, { thing: { name: 7 } }).length, 1);
    const undeclared = contract.validateResponse('listThings', 404, {});
    assert.equal(undeclared[0]?.location, 'status');
  });

  it('loads each vendored contract once per process and both are valid OpenAPI', async function () {
    this.timeout(30_000);
    const zuora = loadContract('zuora/zuora-openapi-subset.yaml');
    assert.equal(loadContract('zuora/zuora-openapi-subset.yaml'), zuora, 'cached');
    assert.equal((await zuora).operations().length, 19);
    const togai = await loadContract('togai/togai-openapi.yaml');
    assert.ok(togai.normalizedRefSiblings > 0, 'the Togai spec still needs the $ref normaliser');
    assert.ok(togai.operations().length > 100);
  });
});
