/**
 * Deploy bridge for activity inputs. Until version 0.1 the account and invoice activities took
 * positional arguments (`zuoraGetAccount(connectionId, accountKey)`); they now take one input
 * object. An activity scheduled by a workflow before the deploy and run (or retried) after it
 * still carries the old arguments, so each such activity maps them onto its object here.
 *
 * Remove once no run started before the deploy is open (its workflow ID is in the Web UI; runs
 * are bounded by the activities' 30-minute schedule-to-close plus the account wait of 35 minutes).
 */
const LEGACY_PARAMETERS: Record<string, readonly string[]> = {
  getAccountSyncSettings: ['connectionId'],
  zuoraGetAccount: ['connectionId', 'accountKey'],
  zuoraFindAccountsByField: ['connectionId', 'field', 'value'],
  zuoraCreateAccount: ['connectionId', 'body', 'idempotencyKey'],
  zuoraUpdateAccount: ['connectionId', 'accountKey', 'body'],
  togaiGetCustomer: ['connectionId', 'customerId'],
  togaiGetAccount: ['connectionId', 'accountId'],
  togaiCreateCustomer: ['connectionId', 'body'],
  togaiListAccountSettings: ['connectionId', 'accountId', 'namespace'],
  togaiInsertSetting: ['connectionId', 'setting'],
  togaiUpdateSetting: ['connectionId', 'setting'],
  getInvoiceSyncSettings: ['connectionId'],
  togaiGetInvoice: ['connectionId', 'invoiceId'],
  togaiListUsageMeterSettings: ['connectionId', 'usageMeterId', 'namespace'],
  togaiListUsageMeterNames: ['connectionId'],
  zuoraGetAccountCurrency: ['connectionId', 'accountKey'],
  zuoraFindInvoicesByField: ['connectionId', 'field', 'value'],
  zuoraCreateInvoice: ['connectionId', 'body', 'idempotencyKey'],
  zuoraGetInvoice: ['connectionId', 'invoiceKey'],
  zuoraFindUsagesByField: ['connectionId', 'field', 'value'],
  zuoraCreateUsage: ['connectionId', 'body', 'idempotencyKey'],
};

/** Old calls start with the connection id as a string; new ones pass one object. */
export function legacyArgsToInput(activity: string, args: readonly unknown[]): unknown {
  const names = LEGACY_PARAMETERS[activity];
  if (!names || typeof args[0] !== 'string') return args[0];
  return Object.fromEntries(names.map((name, i) => [name, args[i]]));
}

export function acceptLegacyPositionalArgs<T extends Record<string, (input: never) => Promise<unknown>>>(
  activities: T,
): T {
  const wrapped: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const [name, fn] of Object.entries(activities)) {
    const call = fn as (input: unknown) => Promise<unknown>;
    wrapped[name] = LEGACY_PARAMETERS[name]
      ? (...args: unknown[]) => call(legacyArgsToInput(name, args))
      : call;
  }
  return wrapped as unknown as T;
}
