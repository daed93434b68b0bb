import { randomBytes, randomUUID } from 'node:crypto';
import { countryAlpha2 } from '../common/geo.js';
import { Decimal } from './decimal.js';
import { TogaiApiError } from './errors.js';
import {
  renderInvoice,
  revenueTree,
  type CustomLine,
  type InvoiceRecord,
  type PricePlan,
  type RenderContext,
} from './invoices.js';
import { decodeValue, encodeValue, type Encoded } from './snapshot.js';
import type {
  Account,
  Address,
  CreateAccountRequest,
  CreateAccountWithoutCustomer,
  CreateCustomerRequest,
  CreateCustomerResponse,
  Customer,
  Invoice,
  Setting,
  TogaiEvent,
  UpdateAccountRequest,
  UpdateCustomerRequest,
  UpdateSettingRequest,
  UsageMeter,
} from './types.js';

/**
 * The simulator's in-memory Togai tenant. Every operation validates all it needs before it changes
 * anything, so a refused request leaves no partial state (a customer with an inline account whose
 * id is taken creates neither). Times come from the injected clock so tests can move it.
 */

/** A seeded usage meter: the spec's UsageMeter plus what decides which events it counts. */
export interface MeterRecord {
  meter: UsageMeter;
  /** Events of this schema feed the meter (CreateUsageMeterRequest's `eventSchemaName`). */
  eventSchemaName: string | undefined;
}

export type TogaiDomainEvent =
  | { type: 'account.created'; entityId: string; entity: Account }
  | { type: 'invoice.generated'; entityId: string; entity: Invoice };

export interface StoredEvent {
  event: TogaiEvent & { id: string };
  receivedAt: string;
  /** `PROCESSED` when the account was found (even if no meter matched). */
  status: 'PROCESSED' | 'UNKNOWN_ACCOUNT';
  /** Meter id → quantity added, as decimal strings. */
  accrued: Record<string, string>;
  invoiceId?: string;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
}

export interface StoreOptions {
  now: () => number;
  onEvent?: (event: TogaiDomainEvent) => void;
}

/** Togai keeps ingested event ids for 45 days to refuse duplicates. */
const DEDUP_WINDOW_MS = 45 * 86_400_000;
/** The built-in schema whose events name their usage meter (`dimensions.usage_meter_id`, attribute `usage`). */
export const DIRECT_USAGE_SCHEMA = 'togai-usage';

const iso = (ms: number): string => new Date(ms).toISOString();

/** Togai renders an address as one line: line1, line2, postal code, city, state, country. */
export function billingAddressOf(a: Address): string {
  return [a.line1, a.line2, a.postalCode, a.city, a.state, a.country].filter((p) => p).join(', ');
}

/** The full setting id of the spec's example: `setting.{namespace}.{id}.{entityType}.{entityId}`. */
export function fullSettingId(s: Setting): string {
  return `setting.${s.namespace}.${s.id}.${s.entityType}.${s.entityId}`;
}

function addMonths(ms: number, months: number): number {
  const d = new Date(ms);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.getTime();
}

/**
 * Togai's Address.country is a "Two letter country code [ISO-3166-1 Alpha-2]" (the official spec's
 * description; its schema says only `string`): anything else is refused with 400, as the API
 * validates it, so a country name copied from another system fails here as it would there.
 */
const isValidCountry = (code: string): boolean => countryAlpha2(code) === code;

export function assertAddress(
  address: { country?: string | undefined } | null | undefined,
  where: string,
): void {
  const country = address?.country;
  if (country === undefined || country === '') return;
  if (!/^[A-Z]{2}$/.test(country) || !isValidCountry(country)) {
    throw new TogaiApiError(
      400,
      `${where}.country: ${JSON.stringify(country)} is not a two-letter ISO 3166-1 alpha-2 country code (e.g. US, DE)`,
    );
  }
}

/** How a cycle closes (admin API `close-cycle`): times in epoch ms (UTC). */
export interface CloseCycleOptions {
  /** The period, half-open [startDate, endDate); default: the DRAFT's start, and now. */
  startDate?: number;
  endDate?: number;
  /** false: the invoice carries no `endDateInclusive` (some Togai invoices do not). */
  endDateInclusive?: boolean;
  /** Custom lines added to this invoice. */
  customLines?: CustomLine[];
}

/** The tenant as `TogaiStore.exportState` writes it: JSON, decimals and maps tagged (snapshot.ts). */
export interface TogaiStoreSnapshot {
  version: 1;
  state: Encoded;
}

export class TogaiStore {
  readonly customers = new Map<string, Customer>();
  readonly accounts = new Map<string, Account>();
  /** Keyed by full setting id, in creation order. */
  readonly settings = new Map<string, Setting>();
  readonly meters = new Map<string, MeterRecord>();
  readonly pricePlans = new Map<string, PricePlan>();
  /** Account id → credit left (account currency). */
  readonly credits = new Map<string, Decimal>();
  /** Account id → price plan id; accounts without one use `defaultPricePlanId`. */
  readonly accountPricePlans = new Map<string, string>();
  defaultPricePlanId: string | undefined;
  readonly invoices = new Map<string, InvoiceRecord>();
  /** Account id → id of its DRAFT (ongoing) invoice. */
  private readonly draftOf = new Map<string, string>();
  readonly events: StoredEvent[] = [];
  private readonly seenEventIds = new Map<string, number>();
  private sequence = 0;

  constructor(private readonly options: StoreOptions) {}

  /**
   * Everything the tenant holds, as JSON (demo mode keeps it in its data directory so a restart
   * finds the same customers, meters, plans, DRAFT usage and invoices). Ingested event ids are kept
   * too, so a replayed event is still refused as a duplicate after a restore.
   */
  exportState(): TogaiStoreSnapshot {
    return {
      version: 1,
      state: encodeValue({
        customers: this.customers,
        accounts: this.accounts,
        settings: this.settings,
        meters: this.meters,
        pricePlans: this.pricePlans,
        credits: this.credits,
        accountPricePlans: this.accountPricePlans,
        defaultPricePlanId: this.defaultPricePlanId,
        invoices: this.invoices,
        draftOf: this.draftOf,
        events: this.events,
        seenEventIds: this.seenEventIds,
        sequence: this.sequence,
      }),
    };
  }

  /** Replaces this store's contents with an exported snapshot (nothing is emitted). */
  importState(snapshot: TogaiStoreSnapshot): void {
    if (snapshot.version !== 1)
      throw new Error(`unknown Togai simulator snapshot version ${String(snapshot.version)}`);
    const s = decodeValue(snapshot.state) as {
      customers: Map<string, Customer>;
      accounts: Map<string, Account>;
      settings: Map<string, Setting>;
      meters: Map<string, MeterRecord>;
      pricePlans: Map<string, PricePlan>;
      credits: Map<string, Decimal>;
      accountPricePlans: Map<string, string>;
      defaultPricePlanId?: string | null;
      invoices: Map<string, InvoiceRecord>;
      draftOf: Map<string, string>;
      events: StoredEvent[];
      seenEventIds: Map<string, number>;
      sequence: number;
    };
    const replace = <K, V>(target: Map<K, V>, source: Map<K, V>): void => {
      target.clear();
      for (const [k, v] of source) target.set(k, v);
    };
    replace(this.customers, s.customers);
    replace(this.accounts, s.accounts);
    replace(this.settings, s.settings);
    replace(this.meters, s.meters);
    replace(this.pricePlans, s.pricePlans);
    replace(this.credits, s.credits);
    replace(this.accountPricePlans, s.accountPricePlans);
    this.defaultPricePlanId = s.defaultPricePlanId ?? undefined;
    replace(this.invoices, s.invoices);
    replace(this.draftOf, s.draftOf);
    this.events.length = 0;
    this.events.push(...s.events);
    replace(this.seenEventIds, s.seenEventIds);
    this.sequence = s.sequence;
  }

  private now(): number {
    return this.options.now();
  }

  private emit(event: TogaiDomainEvent): void {
    this.options.onEvent?.(event);
  }

  private static ref(kind: string): string {
    return `${kind}.${randomBytes(6).toString('base64url')}.${randomBytes(3).toString('hex')}`;
  }

  // Customers ------------------------------------------------------------------------------

  createCustomer(req: CreateCustomerRequest): CreateCustomerResponse {
    if (this.customers.has(req.id)) throw new TogaiApiError(409, `Customer with id ${req.id} already exists`);
    assertAddress(req.address, 'address');
    assertAddress(req.account?.address, 'account.address');
    const customerSettings = (req.settings ?? []).map((s) => ({
      ...s,
      entityType: 'CUSTOMER',
      entityId: req.id,
    }));
    this.assertNewSettings(customerSettings);
    if (req.account) this.assertNewAccount(req.account);
    const at = iso(this.now());
    const customer: Customer = {
      id: req.id,
      togaiCustomerId: TogaiStore.ref('customer'),
      name: req.name,
      primaryEmail: req.primaryEmail,
      billingAddress: billingAddressOf(req.address),
      address: req.address,
      status: 'ACTIVE',
      createdAt: at,
      updatedAt: at,
    };
    this.customers.set(customer.id, customer);
    for (const s of customerSettings) this.settings.set(fullSettingId(s), s);
    const account = req.account ? this.insertAccount(customer, req.account) : undefined;
    return {
      id: customer.id,
      togaiCustomerId: customer.togaiCustomerId,
      name: customer.name,
      primaryEmail: customer.primaryEmail,
      billingAddress: customer.billingAddress,
      address: customer.address,
      ...(req.settings?.length ? { settings: req.settings } : {}),
      ...(account ? { account } : {}),
    };
  }

  getCustomer(id: string): Customer {
    const c = this.customers.get(id);
    if (!c) throw new TogaiApiError(404, `Customer with id ${id} not found`);
    return c;
  }

  updateCustomer(id: string, req: UpdateCustomerRequest): Customer {
    const current = this.getCustomer(id);
    assertAddress(req.address, 'address');
    const address = req.address ?? current.address;
    const updated: Customer = {
      ...current,
      ...(req.name !== undefined ? { name: req.name } : {}),
      ...(req.primaryEmail !== undefined ? { primaryEmail: req.primaryEmail } : {}),
      address,
      billingAddress: billingAddressOf(address),
      updatedAt: iso(this.now()),
    };
    this.customers.set(id, updated);
    return updated;
  }

  // Accounts -------------------------------------------------------------------------------

  private assertNewAccount(req: CreateAccountWithoutCustomer): void {
    if (this.accounts.has(req.id)) throw new TogaiApiError(409, `Account with id ${req.id} already exists`);
    this.assertNewSettings(
      (req.settings ?? []).map((s) => ({ ...s, entityType: 'ACCOUNT', entityId: req.id })),
    );
  }

  createAccount(req: CreateAccountRequest): Account {
    const customer = this.customers.get(req.customerId);
    if (!customer) throw new TogaiApiError(404, `Customer with id ${req.customerId} not found`);
    assertAddress(req.address, 'address');
    this.assertNewAccount(req);
    const { customerId: _customerId, ...rest } = req;
    return this.insertAccount(customer, rest);
  }

  private insertAccount(customer: Customer, req: CreateAccountWithoutCustomer): Account {
    const aliases = [...(req.aliases ?? []), ...(req.accountAliases ?? []).map((a) => a.value)];
    const account: Account = {
      id: req.id,
      togaiAccountId: TogaiStore.ref('account'),
      togaiCustomerId: customer.togaiCustomerId,
      name: req.name,
      customerId: customer.id,
      // Togai bills in the organisation's base currency unless told otherwise; ours is USD.
      invoiceCurrency: req.invoiceCurrency ?? 'USD',
      ...(aliases.length ? { aliases: aliases.map((alias) => ({ alias })) } : {}),
      ...(req.netTermDays !== undefined ? { netTermDays: req.netTermDays } : {}),
      ...(req.address ? { address: req.address } : {}),
      ...(req.primaryEmail !== undefined ? { primaryEmail: req.primaryEmail } : {}),
      status: req.status ?? 'ACTIVE',
      ...(req.metadata ? { metadata: req.metadata } : {}),
      ...(req.tags ? { tags: req.tags } : {}),
    };
    this.accounts.set(account.id, account);
    for (const s of req.settings ?? []) {
      const setting: Setting = { ...s, entityType: 'ACCOUNT', entityId: account.id };
      this.settings.set(fullSettingId(setting), setting);
    }
    this.openDraft(account, this.now());
    const created: Account = req.settings?.length ? { ...account, settings: req.settings } : account;
    this.emit({ type: 'account.created', entityId: account.id, entity: account });
    return created;
  }

  getAccount(id: string): Account {
    const a = this.accounts.get(id);
    if (!a) throw new TogaiApiError(404, `Account with id ${id} not found`);
    return a;
  }

  updateAccount(id: string, req: UpdateAccountRequest): Account {
    const current = this.getAccount(id);
    assertAddress(req.address, 'address');
    const updated: Account = { ...current };
    if (req.name !== undefined) updated.name = req.name;
    if (req.status !== undefined) updated.status = req.status;
    if (req.invoiceCurrency !== undefined) updated.invoiceCurrency = req.invoiceCurrency;
    if (req.netTermDays !== undefined) updated.netTermDays = req.netTermDays;
    if (req.primaryEmail !== undefined) updated.primaryEmail = req.primaryEmail;
    if (req.address !== undefined) updated.address = req.address;
    if (req.metadata !== undefined) updated.metadata = req.metadata;
    if (req.tags !== undefined) updated.tags = req.tags;
    this.accounts.set(id, updated);
    return updated;
  }

  /** Finds an account by id or by one of its aliases (events may name either). */
  private resolveAccount(idOrAlias: string): Account | undefined {
    return (
      this.accounts.get(idOrAlias) ??
      [...this.accounts.values()].find((a) => a.aliases?.some((x) => x.alias === idOrAlias))
    );
  }

  // Settings -------------------------------------------------------------------------------

  private assertNewSettings(settings: Setting[]): void {
    const ids = settings.map(fullSettingId);
    for (const id of ids)
      if (this.settings.has(id)) throw new TogaiApiError(409, `Setting ${id} already exists`);
    if (new Set(ids).size !== ids.length) throw new TogaiApiError(400, 'Duplicate settings in request');
  }

  createSetting(s: Setting): Setting {
    this.assertNewSettings([s]);
    const setting = { ...s };
    this.settings.set(fullSettingId(setting), setting);
    return setting;
  }

  getSetting(fullId: string): Setting {
    const s = this.settings.get(fullId);
    if (!s) throw new TogaiApiError(404, `Setting ${fullId} not found`);
    return s;
  }

  updateSetting(fullId: string, req: UpdateSettingRequest): Setting {
    const current = this.getSetting(fullId);
    const updated: Setting = {
      ...current,
      ...(req.name !== undefined ? { name: req.name } : {}),
      ...(req.value !== undefined ? { value: req.value } : {}),
      ...(req.dataType !== undefined ? { dataType: req.dataType } : {}),
    };
    this.settings.set(fullId, updated);
    return updated;
  }

  listSettings(filter: {
    entityType?: string;
    entityId?: string;
    id?: string;
    namespace?: string;
  }): Setting[] {
    return [...this.settings.values()].filter(
      (s) =>
        (filter.entityType === undefined || s.entityType === filter.entityType) &&
        (filter.entityId === undefined || s.entityId === filter.entityId) &&
        (filter.id === undefined || s.id === filter.id) &&
        (filter.namespace === undefined || s.namespace === filter.namespace),
    );
  }

  // Usage meters and pricing ---------------------------------------------------------------

  putMeter(record: MeterRecord): void {
    this.meters.set(record.meter.id, record);
  }

  getMeter(id: string): UsageMeter {
    const m = this.meters.get(id);
    if (!m) throw new TogaiApiError(404, `Usage meter with id ${id} not found`);
    return m.meter;
  }

  putPricePlan(plan: PricePlan): void {
    this.pricePlans.set(plan.id, plan);
  }

  pricePlanOf(accountId: string): PricePlan | undefined {
    const id = this.accountPricePlans.get(accountId) ?? this.defaultPricePlanId;
    return id === undefined ? undefined : this.pricePlans.get(id);
  }

  // Events ---------------------------------------------------------------------------------

  /**
   * Accepts events and accrues them on the accounts' DRAFT invoices. An id seen in the last 45
   * days is acknowledged but not counted again; an event for an unknown account is kept (Togai
   * accepts asynchronously) but accrues nothing.
   */
  ingest(events: TogaiEvent[]): IngestResult {
    const result: IngestResult = { accepted: 0, duplicates: 0 };
    const now = this.now();
    for (const raw of events) {
      const event = { ...raw, id: raw.id ?? randomUUID() };
      const seenAt = this.seenEventIds.get(event.id);
      if (seenAt !== undefined && now - seenAt < DEDUP_WINDOW_MS) {
        result.duplicates++;
        continue;
      }
      this.seenEventIds.set(event.id, now);
      result.accepted++;
      const account = this.resolveAccount(event.accountId);
      const stored: StoredEvent = {
        event,
        receivedAt: iso(now),
        status: account ? 'PROCESSED' : 'UNKNOWN_ACCOUNT',
        accrued: {},
      };
      this.events.push(stored);
      if (!account) continue;
      const invoice = this.draftFor(account);
      stored.invoiceId = invoice.id;
      for (const [meterId, quantity] of this.measure(event)) {
        invoice.usage.set(meterId, (invoice.usage.get(meterId) ?? new Decimal(0)).plus(quantity));
        stored.accrued[meterId] = quantity.toFixed();
      }
      invoice.updatedAt = now;
    }
    return result;
  }

  /**
   * What one event adds to which ACTIVE meter. COUNT adds 1; SUM adds the attribute named by the
   * meter's first computation (a bare attribute name: the simulator does not evaluate JSON logic).
   * Meter filters must all equal the event's dimension of that name.
   */
  private measure(event: TogaiEvent): Map<string, Decimal> {
    const out = new Map<string, Decimal>();
    const attr = (name: string): Decimal | undefined => {
      const a = event.attributes.find((x) => x.name === name);
      return a ? new Decimal(a.value) : undefined;
    };
    if (event.schemaName === DIRECT_USAGE_SCHEMA) {
      const meterId = event.dimensions['usage_meter_id'];
      const usage = attr('usage');
      if (meterId && usage && this.meters.get(meterId)?.meter.status === 'ACTIVE') out.set(meterId, usage);
      return out;
    }
    for (const { meter, eventSchemaName } of this.meters.values()) {
      if (meter.status !== 'ACTIVE' || eventSchemaName !== event.schemaName) continue;
      if (!(meter.filters ?? []).every((f) => event.dimensions[f.field] === f.value)) continue;
      if (meter.aggregation === 'COUNT') {
        out.set(meter.id, new Decimal(1));
        continue;
      }
      const name = meter.computations?.[0]?.computation.trim();
      const value = name ? attr(name) : undefined;
      if (value) out.set(meter.id, value);
    }
    return out;
  }

  // Invoices -------------------------------------------------------------------------------

  private openDraft(account: Account, start: number): InvoiceRecord {
    const record: InvoiceRecord = {
      id: `inv.${randomBytes(6).toString('base64url')}.${randomBytes(3).toString('hex')}`,
      accountId: account.id,
      customerId: account.customerId,
      status: 'DRAFT',
      startDate: start,
      endDate: addMonths(start, 1),
      updatedAt: start,
      usage: new Map(),
    };
    this.invoices.set(record.id, record);
    this.draftOf.set(account.id, record.id);
    return record;
  }

  private draftFor(account: Account): InvoiceRecord {
    const id = this.draftOf.get(account.id);
    const record = id === undefined ? undefined : this.invoices.get(id);
    return record ?? this.openDraft(account, this.now());
  }

  private renderContext(account: Account): RenderContext {
    return {
      account,
      customer: this.getCustomer(account.customerId),
      meters: new Map([...this.meters].map(([id, m]) => [id, m.meter])),
      pricePlan: this.pricePlanOf(account.id),
      creditBalance: this.credits.get(account.id) ?? new Decimal(0),
    };
  }

  renderInvoice(record: InvoiceRecord): Invoice {
    return renderInvoice(record, this.renderContext(this.getAccount(record.accountId)));
  }

  /** Grants `amount` of credit (in the account's invoice currency) to the account's next invoices. */
  grantCredit(accountId: string, amount: Decimal): void {
    this.getAccount(accountId);
    this.credits.set(accountId, (this.credits.get(accountId) ?? new Decimal(0)).plus(amount));
  }

  getInvoice(id: string): Invoice {
    const record = this.invoices.get(id);
    if (!record) throw new TogaiApiError(404, `Invoice with id ${id} not found`);
    return this.renderInvoice(record);
  }

  /** Every invoice, in creation order. */
  listInvoices(): Invoice[] {
    return [...this.invoices.values()].map((r) => this.renderInvoice(r));
  }

  /**
   * The invoice records `GET /invoices` selects, in creation order, filtered before rendering so
   * a page costs one render per invoice on it. The time window (epoch ms, both ends inclusive)
   * applies to the invoice date: the planned cycle end of a DRAFT, the generation time of a DUE.
   */
  findInvoices(filter: {
    status?: string | undefined;
    ownerId?: string | undefined;
    customerId?: string | undefined;
    startTime?: number | undefined;
    endTime?: number | undefined;
  }): InvoiceRecord[] {
    return [...this.invoices.values()].filter(
      (r) =>
        (filter.status === undefined || r.status === filter.status) &&
        (filter.ownerId === undefined || r.accountId === filter.ownerId) &&
        (filter.customerId === undefined || r.customerId === filter.customerId) &&
        (filter.startTime === undefined || r.endDate >= filter.startTime) &&
        (filter.endTime === undefined || r.endDate <= filter.endTime),
    );
  }

  /**
   * Ends the account's billing cycle now: its DRAFT invoice becomes DUE (FINALIZED, `generatedAt`
   * and the invoice date set to now, priced and frozen), a new DRAFT opens, and
   * `invoice.generated` fires. Returns the generated invoice.
   */
  closeCycle(accountId: string, options: CloseCycleOptions = {}): Invoice {
    const account = this.getAccount(accountId);
    const record = this.draftFor(account);
    const now = this.now();
    const start = options.startDate ?? record.startDate;
    const end = options.endDate ?? Math.max(now, start);
    if (end < start)
      throw new TogaiApiError(400, `the cycle cannot end (${new Date(end).toISOString()}) before it starts`);
    const closing: InvoiceRecord = {
      ...record,
      status: 'DUE',
      startDate: start,
      endDate: end,
      generatedAt: now,
      updatedAt: now,
      sequenceId: `INV-${String(this.sequence + 1).padStart(6, '0')}`,
      ...(options.endDateInclusive === false && { endDateInclusive: false }),
      ...(options.customLines && { customLines: options.customLines }),
    };
    // Rendered before anything changes: a pricing failure leaves the DRAFT open and intact.
    const balance = this.credits.get(account.id) ?? new Decimal(0);
    const { credits } = revenueTree(closing, { ...this.renderContext(account), creditBalance: balance });
    const closed: InvoiceRecord = { ...closing, creditsApplied: credits };
    const invoice = this.renderInvoice(closed);
    closed.frozen = invoice;
    this.invoices.set(closed.id, closed);
    if (!credits.isZero()) this.credits.set(account.id, balance.minus(credits));
    this.sequence++;
    this.openDraft(account, now);
    this.emit({ type: 'invoice.generated', entityId: invoice.id, entity: invoice });
    return invoice;
  }

  /** Closes the cycle of every account, in creation order. */
  closeAllCycles(options: CloseCycleOptions = {}): Invoice[] {
    return [...this.accounts.keys()].map((id) => this.closeCycle(id, options));
  }
}
