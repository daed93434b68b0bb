import type { CustomField } from './options.js';

export type CustomValue = string | number | boolean | null;

/**
 * Picks the `*__c` keys of a request body and checks them against the object's definitions:
 * Zuora refuses a custom field that is not defined on the object. Other keys (standard fields,
 * the spec's own `__NS` / `__QT` integration fields) are ignored here.
 */
export function extractCustomFields(
  body: Record<string, unknown>,
  definitions: CustomField[],
  objectName: string,
): { fields: Record<string, CustomValue>; error?: string } {
  const fields: Record<string, CustomValue> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!key.endsWith('__c')) continue;
    const def = definitions.find((d) => d.name === key);
    if (!def) return { fields, error: `Unknown field ${key} on ${objectName}` };
    if (value === null) {
      fields[key] = null;
      continue;
    }
    if (typeof value !== def.type)
      return { fields, error: `Invalid value for field ${key}: expected a ${def.type}` };
    if (typeof value === 'string' && value.length > def.maxLength) {
      return { fields, error: `Field ${key} is longer than ${def.maxLength} characters` };
    }
    fields[key] = value as CustomValue;
  }
  return { fields };
}
