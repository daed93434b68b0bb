import { randomBytes } from 'node:crypto';
import type { SeedSubscription } from './options.js';

/** Zuora object IDs are 32 lower-case hex characters. */
export function zuoraId(): string {
  return randomBytes(16).toString('hex');
}

export interface Contact {
  id: string;
  firstName: string;
  lastName: string;
  [field: string]: unknown;
}

export interface Account {
  id: string;
  accountNumber: string;
  name: string;
  currency: string;
  status: 'Active' | 'Draft' | 'Canceled';
  billCycleDay: number;
  autoPay: boolean;
  paymentTerm: string;
  crmId?: string;
  notes?: string;
  batch: string;
  billToContact: Contact;
  soldToContact: Contact;
  customFields: Record<string, string | number | boolean | null>;
  createdDate: string;
  updatedDate: string;
}

/** A discount item (negative) or a taxation item of an invoice item; amounts at the currency's precision. */
export interface InvoiceSubItem {
  id: string;
  name: string;
  amount: string;
}

export interface InvoiceItem {
  id: string;
  /** Exact decimal strings, amounts at the currency's precision (as Zuora keeps them). */
  amount: string;
  description: string | undefined;
  discountItems: InvoiceSubItem[];
  taxItems: InvoiceSubItem[];
  quantity: string | undefined;
  unitPrice: string | undefined;
  chargeName: string;
  serviceStartDate: string;
  serviceEndDate: string | undefined;
  productRatePlanChargeId: string | undefined;
  uom: string | undefined;
  sku: string | undefined;
  purchaseOrderNumber: string | undefined;
}

export interface Invoice {
  id: string;
  invoiceNumber: string;
  accountId: string;
  currency: string;
  status: 'Draft' | 'Posted';
  invoiceDate: string;
  dueDate: string;
  /** Exact decimal string: items + discount items + taxation items, at the currency's precision. */
  amount: string;
  /** Items + discount items. */
  amountWithoutTax: string;
  /** Taxation items. */
  taxAmount: string;
  comments: string | undefined;
  items: InvoiceItem[];
  customFields: Record<string, string | number | boolean | null>;
  createdDate: string;
  updatedDate: string;
  postedDate: string | undefined;
}

export interface Usage {
  id: string;
  accountId: string;
  accountNumber: string;
  subscriptionId: string | undefined;
  subscriptionNumber: string | undefined;
  chargeId: string | undefined;
  chargeNumber: string | undefined;
  /** Exact decimal string. */
  quantity: string;
  uom: string;
  startDateTime: string;
  endDateTime: string | undefined;
  description: string | undefined;
  uniqueKey: string | undefined;
  customFields: Record<string, string | number | boolean | null>;
  createdDate: string;
  updatedDate: string;
}

export interface Subscription extends SeedSubscription {
  id: string;
  accountId: string;
  createdDate: string;
}

export interface Token {
  clientId: string;
  expiresAt: number;
}

/** The tenant as `ZuoraState.exportState` writes it (JSON-safe). */
export interface ZuoraStateSnapshot {
  version: 1;
  accounts: Account[];
  invoices: Invoice[];
  usages: Usage[];
  subscriptions: Subscription[];
  accountSeq: number;
  invoiceSeq: number;
}

/** The in-memory tenant. Plain maps: the admin API serialises them as they are. */
export class ZuoraState {
  accounts = new Map<string, Account>();
  invoices = new Map<string, Invoice>();
  usages = new Map<string, Usage>();
  subscriptions = new Map<string, Subscription>();
  tokens = new Map<string, Token>();
  private accountSeq = 0;
  private invoiceSeq = 0;

  nextAccountNumber(): string {
    this.accountSeq++;
    return `A${String(this.accountSeq).padStart(8, '0')}`;
  }

  nextInvoiceNumber(): string {
    this.invoiceSeq++;
    return `INV${String(this.invoiceSeq).padStart(8, '0')}`;
  }

  /** By id or account number, as Zuora's `account-key`. */
  findAccount(key: string): Account | undefined {
    return this.accounts.get(key) ?? [...this.accounts.values()].find((a) => a.accountNumber === key);
  }

  /** By id or invoice number. */
  findInvoice(key: string): Invoice | undefined {
    return this.invoices.get(key) ?? [...this.invoices.values()].find((i) => i.invoiceNumber === key);
  }

  /** By id or subscription number. */
  findSubscription(key: string): Subscription | undefined {
    return (
      this.subscriptions.get(key) ??
      [...this.subscriptions.values()].find((s) => s.subscriptionNumber === key)
    );
  }

  /**
   * Everything the tenant holds but its OAuth tokens, as plain JSON (demo mode keeps it in its data
   * directory so a restart finds the same tenant). Tokens are left out: a client whose token is
   * unknown after a restore gets 401 and fetches a new one, as with an expired token.
   */
  exportState(): ZuoraStateSnapshot {
    return {
      version: 1,
      accounts: [...this.accounts.values()],
      invoices: [...this.invoices.values()],
      usages: [...this.usages.values()],
      subscriptions: [...this.subscriptions.values()],
      accountSeq: this.accountSeq,
      invoiceSeq: this.invoiceSeq,
    };
  }

  /** A tenant holding what `exportState` returned (its numbering continues where it stopped). */
  static fromSnapshot(snapshot: ZuoraStateSnapshot): ZuoraState {
    if (snapshot.version !== 1)
      throw new Error(`unknown Zuora simulator snapshot version ${String(snapshot.version)}`);
    const state = new ZuoraState();
    for (const a of snapshot.accounts) state.accounts.set(a.id, a);
    for (const i of snapshot.invoices) state.invoices.set(i.id, i);
    for (const u of snapshot.usages) state.usages.set(u.id, u);
    for (const s of snapshot.subscriptions) state.subscriptions.set(s.id, s);
    state.accountSeq = snapshot.accountSeq;
    state.invoiceSeq = snapshot.invoiceSeq;
    return state;
  }

  /** A JSON snapshot for the admin API (token values are secrets: only their count is shown). */
  snapshot(): Record<string, unknown> {
    return {
      accounts: [...this.accounts.values()],
      invoices: [...this.invoices.values()],
      usages: [...this.usages.values()],
      subscriptions: [...this.subscriptions.values()],
      tokens: this.tokens.size,
    };
  }
}
