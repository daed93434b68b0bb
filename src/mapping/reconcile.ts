import type { DriftItem } from '../flows/reconciliation.js';
import { equals, normalize, type DecimalString } from '../shared/money.js';
import { togaiAccountIdFor } from './zuora-account-to-togai.js';

/**
 * The reconciliation's comparisons (issue 13), pure: each takes what one side holds and what the
 * other holds for the same object and answers the drift items, with both sides' IDs. The
 * activities (src/activities/reconcile.ts) fetch the facts and call these; tests call them
 * directly (test/mapping/reconcile.test.ts). Rules of each kind: src/flows/reconciliation.ts.
 */

/** A Zuora account as reconciliation sees it: its IDs and its Togai link fields (empty → absent). */
export interface ZuoraAccountFacts {
  zuoraAccountId: string;
  /** `TogaiAccountId__c` (the connection's `zuora.customFields.accountTogaiAccountId`). */
  togaiAccountId?: string;
  /** `TogaiCustomerId__c`. */
  togaiCustomerId?: string;
}

/** A Togai account as reconciliation sees it: its customer and the Zuora account its mapping names. */
export interface TogaiAccountFacts {
  togaiAccountId: string;
  togaiCustomerId: string;
  /** The `{namespace}.zuoraAccountId` account setting, when set. */
  mappedZuoraAccountId?: string;
}

/**
 * A Zuora account carrying Togai ids, against the Togai account they name (`undefined`: Togai
 * does not know it). Zuora accounts without a Togai id are not linked from Zuora's side: the Togai
 * pass (`compareTogaiAccount`) finds a link lost there.
 */
export function compareZuoraAccount(
  zuora: ZuoraAccountFacts,
  togai: TogaiAccountFacts | undefined,
  fields: { accountTogaiAccountId: string; accountTogaiCustomerId: string },
  namespace: string,
): DriftItem[] {
  if (zuora.togaiAccountId === undefined) return [];
  const ids = {
    zuoraAccountId: zuora.zuoraAccountId,
    togaiAccountId: zuora.togaiAccountId,
    ...(zuora.togaiCustomerId !== undefined && { togaiCustomerId: zuora.togaiCustomerId }),
  };
  if (!togai) {
    return [
      {
        kind: 'orphan',
        ids,
        detail: `Zuora account ${zuora.zuoraAccountId} names Togai account ${zuora.togaiAccountId} in ${fields.accountTogaiAccountId}, which Togai does not know`,
        repairable: false,
      },
    ];
  }
  const items: DriftItem[] = [];
  const flow1 = { flow: 'syncZuoraAccountToTogai' as const, id: zuora.zuoraAccountId };
  if (togai.mappedZuoraAccountId === undefined) {
    items.push({
      kind: 'link-broken',
      ids: { ...ids, togaiCustomerId: togai.togaiCustomerId },
      detail: `Zuora account ${zuora.zuoraAccountId} links Togai account ${togai.togaiAccountId}, but the Togai account has no ${namespace}.zuoraAccountId setting`,
      repairable: true,
      repairBy: flow1,
    });
  } else if (togai.mappedZuoraAccountId !== zuora.zuoraAccountId) {
    items.push({
      kind: 'link-broken',
      ids: { ...ids, togaiCustomerId: togai.togaiCustomerId },
      detail: `Zuora account ${zuora.zuoraAccountId} links Togai account ${togai.togaiAccountId}, whose ${namespace}.zuoraAccountId names Zuora account ${togai.mappedZuoraAccountId}: decide which Zuora account it belongs to (not repaired automatically)`,
      repairable: false,
    });
  }
  if (zuora.togaiCustomerId !== undefined && zuora.togaiCustomerId !== togai.togaiCustomerId) {
    items.push({
      kind: 'link-broken',
      ids: { ...ids, togaiCustomerId: zuora.togaiCustomerId },
      detail: `Zuora account ${zuora.zuoraAccountId} names Togai customer ${zuora.togaiCustomerId} in ${fields.accountTogaiCustomerId}, but Togai account ${togai.togaiAccountId} belongs to customer ${togai.togaiCustomerId}`,
      repairable: true,
      repairBy: flow1,
    });
  }
  return items;
}

/**
 * A Togai account against the Zuora account its mapping names (`undefined`: Zuora does not know
 * it). Repair: flow 1 on that Zuora account rewrites Zuora's fields only when the Togai account is
 * the one flow 1 made for it (deterministic ids); flow 2 adopts a mapped account without writing
 * Zuora's fields, so other cases are for a person.
 */
export function compareTogaiAccount(
  togai: TogaiAccountFacts,
  zuora: ZuoraAccountFacts | undefined,
  fields: { accountTogaiAccountId: string },
  namespace: string,
): DriftItem[] {
  const mapped = togai.mappedZuoraAccountId;
  if (mapped === undefined) return [];
  const ids = {
    togaiAccountId: togai.togaiAccountId,
    togaiCustomerId: togai.togaiCustomerId,
    zuoraAccountId: mapped,
  };
  if (!zuora) {
    return [
      {
        kind: 'link-broken',
        ids,
        detail: `Togai account ${togai.togaiAccountId}'s ${namespace}.zuoraAccountId names Zuora account ${mapped}, which Zuora does not know: correct or remove the setting (not repaired automatically)`,
        repairable: false,
      },
    ];
  }
  if (zuora.togaiAccountId === togai.togaiAccountId) return [];
  if (zuora.togaiAccountId === undefined) {
    const madeByFlow1 = safeTogaiAccountIdFor(mapped) === togai.togaiAccountId;
    return [
      {
        kind: 'link-broken',
        ids,
        detail:
          `Togai account ${togai.togaiAccountId} is mapped to Zuora account ${mapped}, whose ${fields.accountTogaiAccountId} is empty` +
          (madeByFlow1
            ? ''
            : `: set ${fields.accountTogaiAccountId} to ${togai.togaiAccountId} on the Zuora account (the account sync adopts a mapped account without rewriting Zuora's fields, so this is not repaired automatically)`),
        repairable: madeByFlow1,
        ...(madeByFlow1 && { repairBy: { flow: 'syncZuoraAccountToTogai' as const, id: mapped } }),
      },
    ];
  }
  return [
    {
      kind: 'link-broken',
      ids,
      detail: `Togai account ${togai.togaiAccountId} is mapped to Zuora account ${mapped}, which names another Togai account (${zuora.togaiAccountId}) in ${fields.accountTogaiAccountId}: decide which pair is right (not repaired automatically)`,
      repairable: false,
    },
  ];
}

function safeTogaiAccountIdFor(zuoraAccountId: string): string | undefined {
  try {
    return togaiAccountIdFor(zuoraAccountId);
  } catch {
    return undefined;
  }
}

/** A generated Togai invoice as the invoice flow would bill it. */
export interface TogaiInvoiceFacts {
  togaiInvoiceId: string;
  togaiAccountId?: string;
  currency: string;
  /** Togai's total as it holds it (exact). */
  togaiTotal: DecimalString;
  /** What the Zuora invoice must total: Togai's at the currency's precision, as the invoice flow rounds it. */
  expectedTotal: DecimalString;
  /** No Zuora invoice is due (no charge lines and 0, or a 0 total the connection skips). */
  noZuoraInvoice: boolean;
}

/** A Zuora invoice found by the Togai invoice id custom field. */
export interface ZuoraInvoiceFacts {
  zuoraInvoiceId: string;
  zuoraAccountId?: string;
  amount?: DecimalString;
}

/** Togai-invoices mode: the invoice present once in Zuora, with the total at the currency's precision. */
export function compareInvoice(togai: TogaiInvoiceFacts, zuora: readonly ZuoraInvoiceFacts[]): DriftItem[] {
  const ids = {
    togaiInvoiceId: togai.togaiInvoiceId,
    ...(togai.togaiAccountId !== undefined && { togaiAccountId: togai.togaiAccountId }),
  };
  if (zuora.length === 0) {
    if (togai.noZuoraInvoice) return [];
    return [
      {
        kind: 'invoice-missing',
        ids,
        detail: `Togai invoice ${togai.togaiInvoiceId} (${togai.expectedTotal} ${togai.currency}) has no Zuora invoice`,
        repairable: true,
        repairBy: { flow: 'syncTogaiInvoiceToZuora', id: togai.togaiInvoiceId },
      },
    ];
  }
  if (zuora.length > 1) {
    return [
      {
        kind: 'invoice-duplicated',
        ids: { ...ids, zuoraInvoiceIds: zuora.map((z) => z.zuoraInvoiceId) },
        detail: `Togai invoice ${togai.togaiInvoiceId} has ${zuora.length} Zuora invoices (${zuora.map((z) => z.zuoraInvoiceId).join(', ')}): cancel all but one in Zuora (not repaired automatically)`,
        repairable: false,
      },
    ];
  }
  const [only] = zuora;
  if (!only) return [];
  const amount = only.amount ?? '0';
  if (equals(amount, togai.expectedTotal)) return [];
  return [
    {
      kind: 'total-mismatch',
      ids: {
        ...ids,
        zuoraInvoiceId: only.zuoraInvoiceId,
        ...(only.zuoraAccountId !== undefined && { zuoraAccountId: only.zuoraAccountId }),
      },
      detail: `Togai invoice ${togai.togaiInvoiceId} totals ${togai.togaiTotal} ${togai.currency} (${togai.expectedTotal} at ${togai.currency}'s precision); Zuora invoice ${only.zuoraInvoiceId} totals ${normalize(amount)} ${togai.currency} (not repaired automatically: money, a person decides)`,
      repairable: false,
    },
  ];
}

/** A usage record the invoice flow makes for one usage line: its key and quantity. */
export interface ExpectedUsage {
  usageMeterId: string;
  /** `usageRecordKey(invoice, meter)`: the usage key custom field. */
  key: string;
  quantity: DecimalString;
}

/** A Zuora usage record of the invoice, found by its key prefix. */
export interface ZuoraUsageFacts {
  zuoraUsageId: string;
  key: string;
  quantity?: DecimalString;
  zuoraAccountId?: string;
}

/**
 * Zuora-bills-usage mode: one record per expected line with its quantity. A missing record is
 * repaired by the invoice sync; another quantity, or a record no line accounts for, is reported.
 */
export function compareUsage(
  togaiInvoiceId: string,
  expected: readonly ExpectedUsage[],
  records: readonly ZuoraUsageFacts[],
): DriftItem[] {
  const items: DriftItem[] = [];
  const byKey = new Map<string, ZuoraUsageFacts[]>();
  for (const r of records) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
  for (const line of expected) {
    const found = byKey.get(line.key) ?? [];
    byKey.delete(line.key);
    const ids = { togaiInvoiceId, usageMeterId: line.usageMeterId };
    if (found.length === 0) {
      items.push({
        kind: 'usage-mismatch',
        ids,
        detail: `Togai invoice ${togaiInvoiceId}'s usage line of meter ${line.usageMeterId} (quantity ${line.quantity}) has no Zuora usage record`,
        repairable: true,
        repairBy: { flow: 'syncTogaiInvoiceToZuora', id: togaiInvoiceId },
      });
      continue;
    }
    const total = found.reduce((t, r) => t + (r.quantity === undefined ? '' : `${r.quantity},`), '');
    const first = found[0];
    if (
      found.length > 1 ||
      !first ||
      first.quantity === undefined ||
      !equals(first.quantity, line.quantity)
    ) {
      items.push({
        kind: 'usage-mismatch',
        ids: { ...ids, ...(first && { zuoraUsageId: first.zuoraUsageId }) },
        detail:
          found.length > 1
            ? `Togai invoice ${togaiInvoiceId}'s usage line of meter ${line.usageMeterId} has ${found.length} Zuora usage records (${found.map((r) => r.zuoraUsageId).join(', ')}) (not repaired automatically)`
            : `Togai invoice ${togaiInvoiceId}'s usage line of meter ${line.usageMeterId} has quantity ${line.quantity}; Zuora usage record ${first?.zuoraUsageId ?? '?'} has ${total.replace(/,$/, '') || 'none'} (not repaired automatically)`,
        repairable: false,
      });
    }
  }
  for (const [key, extra] of byKey) {
    for (const r of extra) {
      items.push({
        kind: 'usage-mismatch',
        ids: { togaiInvoiceId, zuoraUsageId: r.zuoraUsageId },
        detail: `Zuora usage record ${r.zuoraUsageId} (key ${key}) bills Togai invoice ${togaiInvoiceId}, but no usage line of that invoice accounts for it (not repaired automatically)`,
        repairable: false,
      });
    }
  }
  return items;
}

/** A Zuora invoice or usage record naming a Togai invoice Togai does not know. */
export function orphanOfInvoice(
  what: { zuoraInvoiceId: string } | { zuoraUsageId: string },
  togaiInvoiceId: string,
  field: string,
): DriftItem {
  const name =
    'zuoraInvoiceId' in what
      ? `Zuora invoice ${what.zuoraInvoiceId}`
      : `Zuora usage record ${what.zuoraUsageId}`;
  return {
    kind: 'orphan',
    ids: { ...what, togaiInvoiceId },
    detail: `${name} carries Togai invoice ${togaiInvoiceId} in ${field}, which Togai does not know (not repaired automatically)`,
    repairable: false,
  };
}

/** The Togai invoice id a v2 usage record key names (`tzs2:usage:<invoice>:<meter>`), else undefined. */
export function togaiInvoiceIdOfUsageKey(key: string): string | undefined {
  const m = /^tzs2:usage:([^:]+):/.exec(key);
  if (!m?.[1]) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return undefined;
  }
}
