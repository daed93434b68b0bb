import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities/index.js';
import { TogaiClient, togaiSettingFullId } from '../../src/clients/togai/client.js';
import { ZuoraClient } from '../../src/clients/zuora/client.js';
import type {
  AccountSyncResult,
  SyncTogaiAccountInput,
  SyncZuoraAccountInput,
} from '../../src/flows/index.js';
import { SA } from '../../src/shared/search-attributes.js';
import { PRODUCTION_WORKFLOWS_PATH } from '../../src/worker.js';
import { DEFAULT_API_TOKEN } from '@togai-zuora-sync/simulators/togai';
import { FLOW, togaiAccountToZuora, zuoraAccountToTogai } from '../../src/flows/index.js';
import { testEnv } from '../hooks.js';
import { testDataConverter } from '../helpers/codec.js';
import { startSimulatedConnection, type SimulatedConnection } from '../helpers/simulators.js';
import { uniqueTaskQueue, withWorker } from '../helpers/temporal.js';

const EventType = proto.temporal.api.enums.v1.EventType;

describe('Account flows (real Temporal, real worker, both simulators)', function () {
  let env: SimulatedConnection;

  before(async () => {
    env = await startSimulatedConnection();
  });
  after(async () => {
    await env.close();
  });

  /** Runs one workflow to its end on a fresh worker; a new workflow id each time (a re-run). */
  async function run<I extends SyncZuoraAccountInput | SyncTogaiAccountInput>(
    flow: string,
    workflowId: string,
    input: I,
  ): Promise<{ result?: AccountSyncResult; error?: unknown; workflowId: string }> {
    const { client } = testEnv();
    const taskQueue = uniqueTaskQueue('flows');
    const id = `${workflowId}:${taskQueue}`;
    return withWorker({ taskQueue, activities: createActivities(env.activityDeps) }, async () =>
      client.workflow.execute(flow, { taskQueue, workflowId: id, args: [input] }).then(
        (result) => ({ result: result as AccountSyncResult, workflowId: id }),
        (error: unknown) => ({ error, workflowId: id }),
      ),
    );
  }

  function syncZuora(zuoraAccountId: string) {
    return run(FLOW.zuoraAccountToTogai, zuoraAccountToTogai.workflowId(env.connectionId, zuoraAccountId), {
      connectionId: env.connectionId,
      zuoraAccountId,
      trigger: 'manual',
    } satisfies SyncZuoraAccountInput);
  }

  function syncTogai(togaiAccountId: string) {
    return run(FLOW.togaiAccountToZuora, togaiAccountToZuora.workflowId(env.connectionId, togaiAccountId), {
      connectionId: env.connectionId,
      togaiAccountId,
      trigger: 'manual',
    } satisfies SyncTogaiAccountInput);
  }

  function ok(r: { result?: AccountSyncResult; error?: unknown }): AccountSyncResult {
    if (!r.result) throw r.error instanceof Error ? r.error : new Error(String(r.error));
    return r.result;
  }

  async function seedZuoraAccount(
    billToContact: Record<string, unknown>,
    customFields: Record<string, string> = {},
  ): Promise<string> {
    const id = randomBytes(16).toString('hex');
    const res = await fetch(`${env.zuora.url}/__admin/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        accounts: [{ id, name: 'Acme Corp', currency: 'EUR', billToContact, ...customFields }],
      }),
    });
    assert.equal(res.status, 200);
    return id;
  }

  async function seedTogaiAccount(
    address: Record<string, string> = { line1: '1 Globex Way', city: 'Springfield', country: 'US' },
  ): Promise<{ customerId: string; accountId: string }> {
    const suffix = randomBytes(4).toString('hex');
    const customerId = `cust-${suffix}`;
    const accountId = `acct-${suffix}`;
    const res = await fetch(`${env.togai.url}/__admin/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        customers: [
          {
            id: customerId,
            name: 'Globex Corporation',
            primaryEmail: 'billing@globex.example',
            address,
            account: { id: accountId, name: 'Globex main', invoiceCurrency: 'GBP' },
          },
        ],
      }),
    });
    assert.equal(res.status, 200);
    return { customerId, accountId };
  }

  const billTo = {
    firstName: 'Ada',
    lastName: 'Lovelace',
    workEmail: 'ada@acme.example',
    address1: '12 Analytical St',
    city: 'London',
    zipCode: 'N1 9GU',
    country: 'United Kingdom',
  };

  it('flow 1: a Zuora account becomes a Togai customer + account with settings, and Zuora gets the Togai ids', async () => {
    const zuoraId = await seedZuoraAccount(billTo);
    const first = await syncZuora(zuoraId);
    const result = ok(first);
    assert.equal(result.outcome, 'created');
    assert.equal(result.togaiCustomerId, `zuora-${zuoraId}`);
    assert.equal(result.togaiAccountId, `zuora-acct-${zuoraId}`);

    const togai = await env.togaiState();
    const customer = togai.customers.find((c) => c.id === result.togaiCustomerId);
    assert.ok(customer, 'Togai customer created');
    assert.equal(customer.name, 'Acme Corp');
    assert.equal(customer.primaryEmail, 'ada@acme.example');
    assert.equal(customer.address?.['line1'], '12 Analytical St');
    assert.equal(customer.address?.['postalCode'], 'N1 9GU');
    const account = togai.accounts.find((a) => a.id === result.togaiAccountId);
    assert.ok(account, 'Togai account created');
    assert.equal(account.customerId, result.togaiCustomerId);
    assert.equal(account.invoiceCurrency, 'EUR');
    const zuoraAccount = (await env.zuoraState()).accounts.find((a) => a.id === zuoraId);
    assert.ok(zuoraAccount);
    const settings = togai.settings.filter(
      (s) => s.entityType === 'ACCOUNT' && s.entityId === result.togaiAccountId && s.namespace === 'zuora',
    );
    assert.deepEqual(Object.fromEntries(settings.map((s) => [s.id, s.value])), {
      zuoraAccountId: zuoraId,
      zuoraAccountNumber: zuoraAccount.accountNumber,
    });
    assert.equal(zuoraAccount.customFields['TogaiCustomerId__c'], result.togaiCustomerId);
    assert.equal(zuoraAccount.customFields['TogaiAccountId__c'], result.togaiAccountId);
    assert.equal(result.zuoraAccountNumber, zuoraAccount.accountNumber);

    const desc = await testEnv().client.workflow.getHandle(first.workflowId).describe();
    assert.equal(desc.typedSearchAttributes.get(SA.connectionId), env.connectionId);
    assert.equal(desc.typedSearchAttributes.get(SA.flow), FLOW.zuoraAccountToTogai);
    assert.equal(desc.typedSearchAttributes.get(SA.zuoraAccountId), zuoraId);
    assert.equal(desc.typedSearchAttributes.get(SA.togaiAccountId), result.togaiAccountId);

    // A second run (new workflow id, e.g. after the 24 h retention) adopts: nothing new in Togai.
    const again = ok(await syncZuora(zuoraId));
    assert.equal(again.outcome, 'adopted');
    assert.equal(again.togaiAccountId, result.togaiAccountId);
    const after = await env.togaiState();
    assert.equal(after.customers.length, togai.customers.length);
    assert.equal(after.accounts.length, togai.accounts.length);
    assert.equal(after.settings.length, togai.settings.length);

    // Loop guard: Togai announces the account flow 1 created; flow 2 must not make a Zuora account.
    const zuoraCount = (await env.zuoraState()).accounts.length;
    const echo = ok(await syncTogai(result.togaiAccountId ?? ''));
    assert.equal(echo.outcome, 'skipped');
    assert.match(echo.reason, /loop guard/);
    assert.equal(echo.zuoraAccountId, zuoraId);
    assert.equal((await env.zuoraState()).accounts.length, zuoraCount);
  });

  it('flow 2: a Togai account becomes a Zuora account, mapped in the Togai settings; re-runs and flow 1 adopt it', async () => {
    const { customerId, accountId } = await seedTogaiAccount();
    const zuoraBefore = (await env.zuoraState()).accounts.length;
    const first = await syncTogai(accountId);
    const result = ok(first);
    assert.equal(result.outcome, 'created');
    assert.equal(result.togaiCustomerId, customerId);

    const created = (await env.zuoraState()).accounts.filter(
      (a) => a.customFields['TogaiAccountId__c'] === accountId,
    );
    assert.equal(created.length, 1);
    const zuoraAccount = created[0];
    assert.ok(zuoraAccount);
    assert.equal(zuoraAccount.id, result.zuoraAccountId);
    assert.equal(zuoraAccount.currency, 'GBP');
    assert.equal(zuoraAccount.customFields['TogaiCustomerId__c'], customerId);
    assert.equal(zuoraAccount.billToContact['workEmail'], 'billing@globex.example');
    assert.equal(zuoraAccount.billToContact['city'], 'Springfield');
    const settings = (await env.togaiState()).settings.filter(
      (s) => s.entityType === 'ACCOUNT' && s.entityId === accountId && s.namespace === 'zuora',
    );
    assert.deepEqual(Object.fromEntries(settings.map((s) => [s.id, s.value])), {
      zuoraAccountId: zuoraAccount.id,
      zuoraAccountNumber: zuoraAccount.accountNumber,
    });
    const desc = await testEnv().client.workflow.getHandle(first.workflowId).describe();
    assert.equal(desc.typedSearchAttributes.get(SA.connectionId), env.connectionId);
    assert.equal(desc.typedSearchAttributes.get(SA.flow), FLOW.togaiAccountToZuora);
    assert.equal(desc.typedSearchAttributes.get(SA.togaiAccountId), accountId);
    assert.equal(desc.typedSearchAttributes.get(SA.zuoraAccountId), zuoraAccount.id);

    // The recorded history replays against the current workflow code: it is deterministic.
    const history = await testEnv().client.workflow.getHandle(first.workflowId).fetchHistory();
    await Worker.runReplayHistory(
      { workflowsPath: PRODUCTION_WORKFLOWS_PATH, dataConverter: testDataConverter },
      history,
      first.workflowId,
    );

    const again = ok(await syncTogai(accountId));
    assert.equal(again.outcome, 'adopted');
    assert.equal(again.zuoraAccountId, zuoraAccount.id);
    assert.equal((await env.zuoraState()).accounts.length, zuoraBefore + 1);

    // Loop guard the other way: Zuora's callout for the account flow 2 made; flow 1 adopts.
    const togaiBefore = await env.togaiState();
    const echo = ok(await syncZuora(zuoraAccount.id));
    assert.equal(echo.outcome, 'adopted');
    assert.equal(echo.togaiAccountId, accountId);
    assert.equal(echo.togaiCustomerId, customerId);
    const togaiAfter = await env.togaiState();
    assert.equal(togaiAfter.customers.length, togaiBefore.customers.length);
    assert.equal(togaiAfter.accounts.length, togaiBefore.accounts.length);
    assert.equal(togaiAfter.settings.length, togaiBefore.settings.length);
  });

  it('flow 2: Zuora committing the create but failing the answer still leaves exactly one Zuora account', async () => {
    const { accountId } = await seedTogaiAccount();
    const fault = await fetch(`${env.zuora.url}/__admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'POST', path: '/v1/accounts', commitThenFailRate: 1, times: 1 }),
    });
    assert.equal(fault.status, 200);
    const { result, workflowId } = await syncTogai(accountId);
    assert.equal(result?.outcome, 'created');

    const injected = (await (await fetch(`${env.zuora.url}/__admin/faults`)).json()) as {
      injected: Record<string, number>;
    };
    assert.equal(injected.injected['commitThenFail'], 1, 'the fault fired');
    const accounts = (await env.zuoraState()).accounts.filter(
      (a) => a.customFields['TogaiAccountId__c'] === accountId,
    );
    assert.equal(accounts.length, 1);
    assert.equal(accounts[0]?.id, result?.zuoraAccountId);

    // The create was answered on its second attempt, by Zuora's idempotent replay.
    const history = await testEnv().client.workflow.getHandle(workflowId).fetchHistory();
    const events = history.events ?? [];
    const scheduledId = events.find(
      (e) =>
        e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
        e.activityTaskScheduledEventAttributes?.activityType?.name === 'zuoraCreateAccount',
    )?.eventId;
    const started = events.find(
      (e) =>
        e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED &&
        String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduledId),
    );
    assert.equal(started?.activityTaskStartedEventAttributes?.attempt, 2);
  });

  it('flow 1: a lost answer to the Togai create (409 on the retry) is adopted, leaving one customer', async () => {
    const zuoraId = await seedZuoraAccount(billTo);
    const fault = await fetch(`${env.togai.url}/__admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'POST', path: '/customers', commitThenFailRate: 1, times: 1 }),
    });
    assert.equal(fault.status, 200);
    const result = ok(await syncZuora(zuoraId));
    assert.equal(result.outcome, 'adopted');
    assert.match(result.reason, /already exists/);
    const togai = await env.togaiState();
    assert.equal(togai.customers.filter((c) => c.id === `zuora-${zuoraId}`).length, 1);
    assert.equal(togai.accounts.filter((a) => a.id === `zuora-acct-${zuoraId}`).length, 1);
    const zuoraAccount = (await env.zuoraState()).accounts.find((a) => a.id === zuoraId);
    assert.equal(zuoraAccount?.customFields['TogaiAccountId__c'], `zuora-acct-${zuoraId}`);
  });

  it('flow 1: adopting the derived Togai customer rewrites a lost link on both sides', async () => {
    const zuoraId = await seedZuoraAccount(billTo);
    const created = ok(await syncZuora(zuoraId));
    const togaiAccountId = created.togaiAccountId ?? '';
    // Someone clears the Zuora fields and blanks the Togai setting (a half-done manual cleanup).
    const zuora = new ZuoraClient({
      connectionId: 'test-side-channel',
      baseUrl: env.zuora.url,
      clientId: env.zuora.sim.credentials.clientId,
      clientSecret: env.zuora.sim.credentials.clientSecret,
    });
    await zuora.updateAccount(zuoraId, {
      customFields: { TogaiCustomerId__c: null, TogaiAccountId__c: null },
    });
    const togai = new TogaiClient({
      connectionId: 'test-side-channel',
      baseUrl: env.togai.url,
      apiToken: DEFAULT_API_TOKEN,
    });
    await togai.updateSetting(
      togaiSettingFullId({
        namespace: 'zuora',
        id: 'zuoraAccountId',
        entityType: 'ACCOUNT',
        entityId: togaiAccountId,
      }),
      { value: '' },
    );
    const customersBefore = (await env.togaiState()).customers.length;

    const again = ok(await syncZuora(zuoraId));
    assert.equal(again.outcome, 'adopted');
    assert.match(again.reason, /already exists/);
    const zuoraAccount = (await env.zuoraState()).accounts.find((a) => a.id === zuoraId);
    assert.equal(zuoraAccount?.customFields['TogaiCustomerId__c'], created.togaiCustomerId);
    assert.equal(zuoraAccount?.customFields['TogaiAccountId__c'], togaiAccountId);
    const state = await env.togaiState();
    assert.equal(state.customers.length, customersBefore);
    const setting = state.settings.find(
      (s) => s.entityId === togaiAccountId && s.namespace === 'zuora' && s.id === 'zuoraAccountId',
    );
    assert.equal(setting?.value, zuoraId);
  });

  it('flow 1: a Zuora account without a bill-to email fails at once, non-retryably, saying what to fix', async () => {
    const { workEmail: _none, ...noEmail } = billTo;
    const zuoraId = await seedZuoraAccount(noEmail);
    const togaiBefore = (await env.togaiState()).customers.length;
    const { error, workflowId } = await syncZuora(zuoraId);
    assert.ok(error instanceof WorkflowFailedError, 'the workflow failed');
    assert.ok(error.cause instanceof ApplicationFailure);
    assert.equal(error.cause.type, 'InvalidSourceData');
    assert.equal(error.cause.nonRetryable, true);
    assert.match(
      error.cause.message,
      new RegExp(`Zuora account \\S+ \\(${zuoraId}\\) has no bill-to contact email`),
    );
    assert.match(error.cause.message, /in Zuora/);
    assert.equal((await env.togaiState()).customers.length, togaiBefore, 'nothing created in Togai');
    const desc = await testEnv().client.workflow.getHandle(workflowId).describe();
    assert.equal(desc.typedSearchAttributes.get(SA.togaiAccountId), `zuora-acct-${zuoraId}`);
    assert.equal(desc.typedSearchAttributes.get(SA.zuoraAccountId), zuoraId);
  });

  it('flow 2: rides out Togai 429s (retried after the rate window) and still creates one account', async () => {
    const { accountId } = await seedTogaiAccount();
    const fault = await fetch(`${env.togai.url}/__admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'GET', path: `/accounts/${accountId}`, burst429: 2, times: 2 }),
    });
    assert.equal(fault.status, 200);
    const result = ok(await syncTogai(accountId));
    assert.equal(result.outcome, 'created');
    const faults = (await (await fetch(`${env.togai.url}/__admin/faults`)).json()) as {
      injected: Record<string, number>;
    };
    assert.equal(faults.injected['burst429'], 2);
    const accounts = (await env.zuoraState()).accounts.filter(
      (a) => a.customFields['TogaiAccountId__c'] === accountId,
    );
    assert.equal(accounts.length, 1);
  });

  it('flow 1: refuses to re-point a Togai account already mapped to another Zuora account', async () => {
    const { accountId } = await seedTogaiAccount();
    const other = randomBytes(16).toString('hex');
    const mapped = await fetch(`${env.togai.url}/__admin/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        settings: [
          {
            id: 'zuoraAccountId',
            name: 'Zuora account ID',
            namespace: 'zuora',
            value: other,
            dataType: 'STRING',
            entityType: 'ACCOUNT',
            entityId: accountId,
          },
        ],
      }),
    });
    assert.equal(mapped.status, 200);
    const zuoraId = await seedZuoraAccount(billTo, { TogaiAccountId__c: accountId });
    const { error } = await syncZuora(zuoraId);
    assert.ok(error instanceof WorkflowFailedError);
    assert.ok(error.cause instanceof ApplicationFailure);
    assert.equal(error.cause.type, 'InvalidSourceData');
    assert.match(error.cause.message, new RegExp(`already mapped to Zuora account ${other}`));
    const setting = (await env.togaiState()).settings.find(
      (s) => s.entityId === accountId && s.id === 'zuoraAccountId',
    );
    assert.equal(setting?.value, other, 'the existing mapping is left alone');
  });

  it('flow 1: a Zuora bill-to country and state given by name reach Togai as ISO codes (a state outside the US and Canada as it is)', async () => {
    const named = ok(
      await syncZuora(await seedZuoraAccount({ ...billTo, country: 'United States', state: 'California' })),
    );
    assert.equal(named.outcome, 'created');
    assert.equal(named.unmapped, undefined);
    const customer = (await env.togaiState()).customers.find((c) => c.id === named.togaiCustomerId);
    assert.equal(customer?.address?.['country'], 'US');
    assert.equal(customer?.address?.['state'], 'CA');
    // Outside the US and Canada the state is free text on both sides: kept as it is.
    const german = ok(
      await syncZuora(await seedZuoraAccount({ ...billTo, country: 'Germany', state: 'Bayern' })),
    );
    const germanCustomer = (await env.togaiState()).customers.find((c) => c.id === german.togaiCustomerId);
    assert.deepEqual(
      [germanCustomer?.address?.['country'], germanCustomer?.address?.['state']],
      ['DE', 'Bayern'],
    );
  });

  it('flow 2: a 120-character city is cut to Zuora’s 100 at a character boundary, the account is created, and the result says so', async () => {
    const city = `${'Ÿ'.repeat(60)}${'🏙️'.repeat(20)}`;
    assert.ok(city.length > 100);
    const { accountId } = await seedTogaiAccount({ line1: '1 Long Rd', city, country: 'US', state: 'Texas' });
    const result = ok(await syncTogai(accountId));
    assert.equal(result.outcome, 'created');
    assert.deepEqual(result.fitted, [{ field: 'billToContact.city', length: city.length, limit: 100 }]);
    const zuora = (await env.zuoraState()).accounts.find((a) => a.id === result.zuoraAccountId);
    const sent = String(zuora?.billToContact['city']);
    assert.ok(sent.length <= 100 && city.startsWith(sent), 'a prefix of whole characters');
    assert.ok(!/[\uD800-\uDBFF]$/.test(sent), 'never half a character');
    assert.equal(zuora?.billToContact['state'], 'TX');
  });

  it('fails non-retryably for a connection that does not exist', async () => {
    const { client } = testEnv();
    const taskQueue = uniqueTaskQueue('flows');
    const error = await withWorker({ taskQueue, activities: createActivities(env.activityDeps) }, () =>
      client.workflow
        .execute(FLOW.togaiAccountToZuora, {
          taskQueue,
          workflowId: `unknown-conn-${taskQueue}`,
          args: [{ connectionId: 'conn_doesnotexist', togaiAccountId: 'acct-x', trigger: 'manual' }],
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        ),
    );
    assert.ok(error instanceof WorkflowFailedError);
    assert.ok(error.cause instanceof ActivityFailure);
    assert.ok(error.cause.cause instanceof ApplicationFailure);
    assert.equal(error.cause.cause.type, 'UnknownConnection');
    assert.match(error.cause.cause.message, /conn_doesnotexist/);
  });
});
