import type { ConnectionSettings } from './settings.js';

/**
 * The Zuora custom fields a connection's flows need in the tenant (Object Manager: text fields,
 * 255 characters), with the ones the flows look objects up by marked filterable: Zuora lets only
 * those be used in object-query filters (../shared/contracts/README.md). docs/connections.md lists
 * the same table; `tzs connections test` checks the tenant against it.
 */

export type ZuoraObjectName = 'Account' | 'Invoice' | 'Usage';

export interface RequiredCustomField {
  object: ZuoraObjectName;
  /** API name, e.g. `TogaiAccountId__c` (the connection's `zuora.customFields` setting). */
  name: string;
  /** The flows filter on it: it must be marked filterable. */
  filterable: boolean;
  /** What writes or reads it, for the message that names a missing one. */
  usedBy: string;
}

/**
 * The fields the connection's switched-on flows use: Account's Togai ids for any flow (flows 1 and
 * 2 write them, flow 2 and the invoice flows find accounts by the account id); Invoice's Togai
 * invoice id for flow 3, and for flows 4/5, which look it up so an invoice is never billed both
 * ways; Usage's record key and per-unit amount for flows 4/5. (With flows 4/5 off, the invoice flow
 * still looks usage records up by their key when the field exists; a tenant without it has none.)
 */
export function requiredCustomFields(
  settings: Pick<ConnectionSettings, 'flows' | 'zuora'>,
): RequiredCustomField[] {
  const { flows } = settings;
  const names = settings.zuora.customFields;
  const usage = flows.usageQuantity || flows.usageRevenue;
  const any = flows.zuoraAccountToTogai || flows.togaiAccountToZuora || flows.invoices || usage;
  const fields: RequiredCustomField[] = [];
  if (any) {
    fields.push(
      {
        object: 'Account',
        name: names.accountTogaiAccountId,
        filterable: true,
        usedBy: 'flows 1-5 (the Togai account id; flow 2 finds accounts by it)',
      },
      {
        object: 'Account',
        name: names.accountTogaiCustomerId,
        filterable: false,
        usedBy: 'flows 1 and 2 (the Togai customer id)',
      },
    );
  }
  if (flows.invoices || usage) {
    fields.push({
      object: 'Invoice',
      name: names.invoiceTogaiInvoiceId,
      filterable: true,
      usedBy: 'flow 3 (the Togai invoice id; found by it), flows 4/5 (never bill an invoiced invoice again)',
    });
  }
  if (usage) {
    fields.push(
      {
        object: 'Usage',
        name: names.usageKey ?? 'TogaiUsageKey__c',
        filterable: true,
        usedBy: 'flows 4/5 (the record key; found by it)',
      },
      {
        object: 'Usage',
        name: names.usageUnitAmount,
        filterable: false,
        usedBy: 'flows 4/5 (the per-unit amount)',
      },
    );
  }
  return fields;
}

/** What the tenant lacks: fields it does not have, and look-up fields not marked filterable. */
export interface CustomFieldProblems {
  missing: RequiredCustomField[];
  notFilterable: RequiredCustomField[];
}

/** One line for a person: which fields to create or mark filterable in Zuora's Object Manager. */
export function customFieldProblemText(p: CustomFieldProblems): string | undefined {
  const name = (f: RequiredCustomField): string => `${f.object}.${f.name}`;
  const parts = [
    ...(p.missing.length > 0
      ? [
          `missing custom fields: ${p.missing.map((f) => `${name(f)}${f.filterable ? ' (filterable)' : ''}`).join(', ')}`,
        ]
      : []),
    ...(p.notFilterable.length > 0
      ? [`custom fields not marked filterable: ${p.notFilterable.map(name).join(', ')}`]
      : []),
  ];
  return parts.length > 0
    ? `${parts.join('; ')} (create them in Zuora's Object Manager as text fields; see docs/connections.md)`
    : undefined;
}
