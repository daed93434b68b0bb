import { Decimal } from './decimal.js';

/**
 * A JSON encoding of the Togai store's values that keeps what plain JSON loses: `Map`s (kept as
 * `{"$map": [[key, value], …]}`, in insertion order, which the store's listings follow) and exact
 * decimals (`{"$decimal": "0.0015"}`, never a lossy number). Used by demo mode to keep the
 * simulator's tenant across restarts.
 */
export type Encoded = null | boolean | number | string | Encoded[] | { [key: string]: Encoded };

export function encodeValue(value: unknown): Encoded {
  if (value === null || value === undefined) return null;
  if (Decimal.isDecimal(value)) return { $decimal: value.toFixed() };
  if (value instanceof Map)
    return { $map: [...value.entries()].map(([k, v]) => [encodeValue(k), encodeValue(v)] as Encoded) };
  if (Array.isArray(value)) return value.map(encodeValue);
  if (typeof value === 'object') {
    const out: { [key: string]: Encoded } = {};
    // Absent and undefined stay absent: the store's objects use optional fields, not nulls.
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = encodeValue(v);
    return out;
  }
  if (typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') return value;
  throw new Error(`cannot encode a ${typeof value} in a Togai simulator snapshot`);
}

export function decodeValue(value: Encoded): unknown {
  if (Array.isArray(value)) return value.map(decodeValue);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && typeof value['$decimal'] === 'string') return new Decimal(value['$decimal']);
  if (keys.length === 1 && Array.isArray(value['$map'])) {
    return new Map(
      value['$map'].map((entry) => {
        const [k, v] = entry as [Encoded, Encoded];
        return [decodeValue(k), decodeValue(v)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeValue(v)]));
}
