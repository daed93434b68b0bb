import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpenAPIBackend, type Document, type Operation } from 'openapi-backend';
import { parse } from 'yaml';

/** A JSON value as read from a YAML/JSON document. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The package root, found from this file's compiled location (dist/src/common). */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Absolute path of a vendored contract, e.g. `contractPath('zuora/zuora-openapi-subset.yaml')`. */
export function contractPath(relative: string): string {
  return join(PACKAGE_ROOT, 'contracts', relative);
}

/**
 * Keeps `$ref` and drops every key beside it. OpenAPI 3.0 says siblings of `$ref` are ignored,
 * but strict tooling rejects the document; Togai's spec has 67 of them (mostly descriptions and
 * `nullable`), so this runs on load instead of switching validation off. Returns a new document
 * and the number of objects it changed.
 */
export function normalizeRefSiblings(node: JsonValue): { document: JsonValue; changed: number } {
  let changed = 0;
  const walk = (n: JsonValue): JsonValue => {
    if (Array.isArray(n)) return n.map(walk);
    if (n === null || typeof n !== 'object') return n;
    const ref = n['$ref'];
    if (typeof ref === 'string') {
      if (Object.keys(n).length > 1) changed++;
      return { $ref: ref };
    }
    const out: { [key: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(n)) out[k] = walk(v);
    return out;
  };
  return { document: walk(node), changed };
}

/**
 * String formats the vendors use. The standard ones are checked (RFC 3339 dates, UUIDs, e-mail,
 * URIs); the vendors' own names ('decimal', 'number' on strings) only document intent.
 */
const FORMATS: Record<string, RegExp | true> = {
  date: /^\d{4}-\d{2}-\d{2}$/,
  'date-time': /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})?$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  email: /^[^\s@]+@[^\s@]+$/,
  uri: /^[a-z][a-z0-9+.-]*:\S*$/i,
  decimal: true,
  URL: true,
  number: true,
  binary: true,
  byte: true,
  password: true,
};

/** One problem found by contract validation, flattened from ajv's error objects. */
export interface ContractIssue {
  /** Where: `body`, `query`, `path`, `header`, `response`, `status`. */
  location: string;
  /** JSON pointer inside that location ('' for the whole thing). */
  pointer: string;
  message: string;
}

/** A request as the validator needs it; `rawQuery` is the part after `?` (no leading `?`). */
export interface ContractRequest {
  method: string;
  path: string;
  rawQuery?: string;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
}

/** The outcome of matching and validating one request. */
export interface RequestCheck {
  /** Undefined when no operation of the contract matches method + path. */
  operationId: string | undefined;
  issues: ContractIssue[];
}

interface AjvLikeError {
  instancePath?: string;
  message?: string;
  params?: unknown;
}

function toIssues(errors: AjvLikeError[] | null | undefined, location: string): ContractIssue[] {
  return (errors ?? []).map((e) => {
    // openapi-backend validates the params of a request as one object: {query:{…}, path:{…}, header:{…}}
    const pointer = e.instancePath ?? '';
    const m = /^\/(query|path|headers|header|cookies)(\/.*)?$/.exec(pointer);
    const where = m ? (m[1] === 'headers' ? 'header' : (m[1] ?? location)) : location;
    const extra =
      e.params && typeof e.params === 'object' && 'additionalProperty' in e.params
        ? ` (${String(e.params.additionalProperty)})`
        : '';
    return {
      location: where,
      pointer: m ? (m[2] ?? '') : pointer,
      message: `${e.message ?? 'invalid'}${extra}`,
    };
  });
}

/**
 * An official OpenAPI contract with its validators compiled (openapi-backend, ajv inside).
 * Load it with `loadContract`, which caches one instance per file per process: compiling a large
 * spec takes seconds and every simulator instance of a test run shares it.
 */
export class OpenApiContract {
  private constructor(
    private readonly api: OpenAPIBackend,
    /** How many `$ref` siblings the normaliser dropped (Togai: 67). */
    readonly normalizedRefSiblings: number,
    /** Limits JSON Schema cannot check (`characterLimits`): schema → property → characters. */
    readonly characterLimits: ReadonlyMap<string, ReadonlyMap<string, number>>,
  ) {}

  /** Builds a contract from a parsed document (normalised for `$ref` siblings first). */
  static async fromDocument(doc: JsonValue): Promise<OpenApiContract> {
    const { document, changed } = normalizeRefSiblings(doc);
    // quick: validators compile lazily per operation (an eager compile of Togai's spec takes ~15 s);
    // the document is still checked against the OpenAPI schema, explicitly, and fails loudly.
    const api = new OpenAPIBackend({
      definition: document as unknown as Document,
      strict: true,
      quick: true,
      customizeAjv: (ajv) => {
        for (const [name, format] of Object.entries(FORMATS)) ajv.addFormat(name, format);
        return ajv;
      },
    });
    await api.loadDocument();
    api.validateDefinition();
    await api.init();
    return new OpenApiContract(api, changed, characterLimits(document));
  }

  /** Every operation of the contract: id, method (lower case) and path template. */
  operations(): { operationId: string; method: string; path: string }[] {
    return this.api
      .getOperations()
      .filter((o): o is Operation & { operationId: string } => typeof o.operationId === 'string')
      .map((o) => ({ operationId: o.operationId, method: o.method, path: o.path }));
  }

  /** The operation id for a method + concrete path, if the contract has one. */
  matchOperation(method: string, path: string): string | undefined {
    return this.api.matchOperation({ method, path, headers: {} })?.operationId;
  }

  /**
   * Validates a request's path/query/header parameters and body against its operation. The raw
   * query is parsed here (not by express) so `filter[]=a&filter[]=b` keeps the spec's `filter[]`
   * name, and repeated or array-typed parameters become arrays.
   */
  validateRequest(req: ContractRequest): RequestCheck {
    const operation = this.api.matchOperation({ method: req.method, path: req.path, headers: {} });
    if (!operation?.operationId) return { operationId: undefined, issues: [] };
    const query = this.parseQuery(operation, req.rawQuery ?? '');
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = v;
    const result = this.api.validateRequest(
      { method: req.method, path: req.path, query, headers, body: req.body as object },
      operation,
    );
    return { operationId: operation.operationId, issues: toIssues(result.errors as AjvLikeError[], 'body') };
  }

  /**
   * Validates a response: the status must be declared by the operation (exactly, by `4XX`-style
   * range or by `default`), and the body must match that response's JSON schema when it has one.
   * When `headers` are given, declared response headers that are present are type-checked.
   */
  validateResponse(
    operationId: string,
    status: number,
    body: unknown,
    headers?: Record<string, string | string[] | number | undefined>,
  ): ContractIssue[] {
    const operation = this.api.getOperation(operationId);
    if (!operation)
      return [{ location: 'operation', pointer: '', message: `unknown operation ${operationId}` }];
    const responses = (operation.responses ?? {}) as Record<string, unknown>;
    const declared =
      responses[String(status)] ?? responses[`${Math.floor(status / 100)}XX`] ?? responses['default'];
    if (declared === undefined) {
      return [
        {
          location: 'status',
          pointer: '',
          message: `status ${status} is not declared for ${operationId} (declared: ${Object.keys(responses).join(', ')})`,
        },
      ];
    }
    const issues = toIssues(
      this.api.validateResponse(body, operation, status).errors as AjvLikeError[],
      'response',
    );
    if (headers) {
      const h = this.api.validateResponseHeaders(headers, operation, { statusCode: status });
      issues.push(...toIssues(h.errors as AjvLikeError[], 'header'));
    }
    return issues;
  }

  private parseQuery(operation: Operation, rawQuery: string): Record<string, string | string[]> {
    const arrayParams = new Set(
      (operation.parameters ?? [])
        .filter((p) => !('$ref' in p) && p.in === 'query')
        .filter((p) => {
          const schema = 'schema' in p ? (p.schema as { type?: string } | undefined) : undefined;
          return schema?.type === 'array';
        })
        .map((p) => ('name' in p ? p.name : '')),
    );
    const query: Record<string, string | string[]> = {};
    for (const [key, value] of new URLSearchParams(rawQuery)) {
      const prev = query[key];
      if (prev === undefined) query[key] = arrayParams.has(key) ? [value] : value;
      else query[key] = Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
    return query;
  }
}

const cache = new Map<string, Promise<OpenApiContract>>();

function readDocument(file: string): JsonValue {
  const abs = file.startsWith('/') ? file : contractPath(file);
  return parse(readFileSync(abs, 'utf8'), { maxAliasCount: -1 }) as JsonValue;
}

type JsonObject = { [key: string]: JsonValue };
const objectAt = (doc: JsonValue, ...keys: string[]): JsonObject => {
  let cur: JsonValue | undefined = doc;
  for (const k of keys)
    cur = cur !== null && typeof cur === 'object' && !Array.isArray(cur) ? cur[k] : undefined;
  return cur !== null && typeof cur === 'object' && !Array.isArray(cur) ? cur : {};
};

/** The object holding a schema's properties: its own, or the first `allOf` part that has some. */
function propertiesOf(schema: JsonObject, name: string): JsonObject {
  if (schema['properties']) return objectAt(schema, 'properties');
  for (const part of Array.isArray(schema['allOf']) ? schema['allOf'] : []) {
    const props = objectAt(part, 'properties');
    if (Object.keys(props).length > 0) return props;
  }
  throw new Error(`contract: schema ${name} has no properties to constrain`);
}

/**
 * A constraints overlay (`x-constraints`: schema → property → keywords, `x-added-properties`:
 * schema → property → schema; see scripts/derive-zuora-constraints.py) applied to the merged
 * schemas. A keyword the schema already states differently, an unknown schema or property, or an
 * added property that exists already is an error: an overlay adds what the vendor stated in words,
 * it never overrides the vendored schema.
 */
function applyOverlay(schemas: JsonObject, doc: JsonValue): void {
  for (const [name, props] of Object.entries(objectAt(doc, 'x-constraints'))) {
    const schema = schemas[name];
    if (!schema || typeof schema !== 'object' || Array.isArray(schema))
      throw new Error(`contract overlay: no schema ${name}`);
    const own = propertiesOf(schema, name);
    for (const [prop, keywords] of Object.entries(props as JsonObject)) {
      const target = own[prop] as JsonObject | undefined;
      if (!target) throw new Error(`contract overlay: ${name} has no property ${prop}`);
      for (const [k, v] of Object.entries(keywords as JsonObject)) {
        if (k in target && JSON.stringify(target[k]) !== JSON.stringify(v))
          throw new Error(`contract overlay: ${name}.${prop} already states ${k}`);
        target[k] = v;
      }
    }
  }
  for (const [name, props] of Object.entries(objectAt(doc, 'x-added-properties'))) {
    const schema = schemas[name];
    if (!schema || typeof schema !== 'object' || Array.isArray(schema))
      throw new Error(`contract overlay: no schema ${name}`);
    const own = propertiesOf(schema, name);
    for (const [prop, added] of Object.entries(props as JsonObject)) {
      if (prop in own) throw new Error(`contract overlay: ${name}.${prop} exists already`);
      own[prop] = added;
    }
  }
}

/**
 * The limits an overlay states as `x-character-limit` (on non-string fields, e.g. Zuora usage's
 * `Quantity`, whose text Zuora limits to 16 characters), which JSON Schema cannot check:
 * schema → property → limit. The simulator checks them itself.
 */
export function characterLimits(document: JsonValue): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const [name, schema] of Object.entries(objectAt(document, 'components', 'schemas'))) {
    let props: JsonObject;
    try {
      props = propertiesOf(schema as JsonObject, name);
    } catch {
      continue;
    }
    for (const [prop, s] of Object.entries(props)) {
      const limit = objectAt(s)['x-character-limit'];
      if (typeof limit === 'number') {
        const forSchema = out.get(name) ?? new Map<string, number>();
        forSchema.set(prop, limit);
        out.set(name, forSchema);
      }
    }
  }
  return out;
}

/**
 * One document from a vendor's contract and its supplements (e.g. Zuora's operations derived from
 * its official SDK beyond the vendored subset): paths and component schemas are united, and an
 * operation or schema name defined twice is an error, never a silent override. A supplement with
 * `x-constraints` / `x-added-properties` is an overlay of limits (`applyOverlay`), applied last.
 */
export function mergeDocuments(base: JsonValue, ...supplements: JsonValue[]): JsonValue {
  const merged = structuredClone(base) as JsonObject;
  const paths = objectAt(merged, 'paths');
  const schemas = objectAt(merged, 'components', 'schemas');
  for (const doc of supplements) {
    for (const [path, item] of Object.entries(objectAt(doc, 'paths'))) {
      const target = (paths[path] ??= {}) as JsonObject;
      for (const [method, op] of Object.entries(item as JsonObject)) {
        if (method in target) throw new Error(`contract: ${method.toUpperCase()} ${path} is defined twice`);
        target[method] = op;
      }
    }
    for (const [name, schema] of Object.entries(objectAt(doc, 'components', 'schemas'))) {
      if (name in schemas) throw new Error(`contract: schema ${name} is defined twice`);
      schemas[name] = schema;
    }
  }
  for (const doc of supplements) applyOverlay(schemas, doc);
  merged['paths'] = paths;
  merged['components'] = { ...objectAt(merged, 'components'), schemas };
  return merged;
}

/**
 * Loads (once per process) the contract at an absolute path or a path relative to `contracts/`,
 * united with its supplements when several files are given (`mergeDocuments`). YAML anchors are
 * allowed without limit: the Togai spec reuses many.
 */
export function loadContract(file: string | readonly string[]): Promise<OpenApiContract> {
  const files = typeof file === 'string' ? [file] : file;
  const key = files.join('|');
  let contract = cache.get(key);
  if (!contract) {
    const [first, ...rest] = files.map(readDocument);
    if (first === undefined) throw new Error('loadContract: no file');
    contract = OpenApiContract.fromDocument(mergeDocuments(first, ...rest));
    cache.set(key, contract);
    // A failed load must not poison the cache for a later, fixed attempt.
    contract.catch(() => cache.delete(key));
  }
  return contract;
}
