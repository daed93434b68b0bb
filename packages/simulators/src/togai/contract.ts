import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { contractPath, OpenApiContract, type JsonValue } from '../common/openapi.js';

/** The vendored official Togai contract, relative to `contracts/`. */
export const TOGAI_CONTRACT = 'togai/togai-openapi.yaml';

type JsonObject = { [key: string]: JsonValue };

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Togai's spec composes 16 schemas as `allOf: [$ref Closed, {properties: {extra}}]` where the
 * referenced member has `additionalProperties: false`. In JSON Schema every member judges the
 * whole object, so the closed member refuses `extra` and nothing can ever validate: e.g.
 * `CreateAccountRequest` refuses its own required `customerId`, and the spec's own example with it.
 * The intent is plainly "the closed object plus these properties", so such an `allOf` is merged
 * into one closed object (properties and `required` united, later members winning). Like the
 * `$ref`-sibling normalisation, this repairs the document instead of switching validation off.
 * Compositions whose members are not plain object schemas are left alone. Returns the count.
 */
export function mergeClosedAllOf(doc: JsonValue): { document: JsonValue; merged: number } {
  const root = structuredClone(doc);
  const resolve = (node: JsonValue): JsonValue | undefined => {
    const ref = isObject(node) ? node['$ref'] : undefined;
    if (typeof ref !== 'string') return node;
    if (!ref.startsWith('#/')) return undefined;
    let cur: JsonValue | undefined = root;
    for (const key of ref.slice(2).split('/')) {
      cur = isObject(cur) ? cur[key.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
    }
    return cur === undefined ? undefined : resolve(cur);
  };
  let merged = 0;
  const flatten = (schema: JsonObject): JsonObject[] | undefined => {
    const all = schema['allOf'];
    if (!Array.isArray(all)) return [schema];
    const parts: JsonObject[] = [];
    for (const member of all) {
      const m = resolve(member);
      if (!isObject(m)) return undefined;
      const inner = flatten(m);
      if (!inner) return undefined;
      parts.push(...inner);
    }
    return parts;
  };
  const PLAIN_KEYS = new Set(['type', 'properties', 'required', 'additionalProperties', 'allOf', 'title']);
  const tryMerge = (node: JsonObject): void => {
    const parts = flatten(node);
    if (!parts?.some((p) => p['additionalProperties'] === false)) return;
    const plain = parts.every(
      (p) => Object.keys(p).every((k) => PLAIN_KEYS.has(k)) && (p['type'] ?? 'object') === 'object',
    );
    if (!plain) return;
    const properties: JsonObject = {};
    const required = new Set<string>();
    for (const p of parts) {
      if (isObject(p['properties'])) Object.assign(properties, p['properties']);
      if (Array.isArray(p['required']))
        for (const r of p['required']) if (typeof r === 'string') required.add(r);
    }
    delete node['allOf'];
    node['type'] = 'object';
    node['additionalProperties'] = false;
    node['properties'] = properties;
    if (required.size > 0) node['required'] = [...required];
    merged++;
  };
  const walk = (n: JsonValue): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!isObject(n)) return;
    for (const v of Object.values(n)) walk(v);
    if (Array.isArray(n['allOf'])) tryMerge(n);
  };
  walk(root);
  return { document: root, merged };
}

let cached: Promise<OpenApiContract> | undefined;

/**
 * The Togai contract (vendored copy, `$ref` siblings and closed `allOf`s normalised), compiled once
 * per process: every simulator instance of a test run shares it.
 */
export function loadTogaiContract(): Promise<OpenApiContract> {
  if (!cached) {
    const raw = parse(readFileSync(contractPath(TOGAI_CONTRACT), 'utf8'), { maxAliasCount: -1 }) as JsonValue;
    cached = OpenApiContract.fromDocument(mergeClosedAllOf(raw).document);
    cached.catch(() => (cached = undefined));
  }
  return cached;
}
