import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import type { Express } from 'express';
import { createGatewayApp } from '../../src/api/app.js';
import { TOGAI_BODY_LIMIT, ZUORA_BODY_LIMIT } from '../../src/api/webhooks.js';
import type { WebhookSettings } from '../../src/config.js';
import type { WebhookSetup } from '../../src/connections/service.js';
import { ConnectionService } from '../../src/connections/service.js';
import { SqliteConnectionStore } from '../../src/connections/sqlite-store.js';
import type { ZuoraWebhookAuth } from '../../src/connections/model.js';
import { SA } from '../../src/shared/search-attributes.js';
import { togaiSignatureHeader } from '../../src/shared/togai-signature.js';
import { ResolvingClientSource } from '../../src/activities/index.js';
import { createSweepActivities } from '../../src/activities/sweep.js';
import { runningInvoiceSyncs } from '../../src/temporal/start-sync.js';
import {
  FLOW,
  invoiceAdmission,
  togaiAccountToZuora,
  togaiInvoiceToZuora,
  zuoraAccountToTogai,
} from '../../src/flows/index.js';
import { capturingLogger, goodVerifier, tempDir, testKeyring, validInput } from '../connections/helpers.js';
import * as fixtureActivities from '../fixtures/webhook-workflows/activities.js';
import { runsOf } from '../fixtures/webhook-workflows/activities.js';
import { freePort } from '../helpers/ports.js';
import { testConfig, uniqueTaskQueue, withWorker } from '../helpers/temporal.js';
import { testEnv } from '../hooks.js';
import { eventually } from '../helpers/wait.js';

const FIXTURE_WORKFLOWS = fileURLToPath(new URL('../fixtures/webhook-workflows/index.js', import.meta.url));

interface Answer {
  status: number;
  json: Record<string, unknown>;
  headers: Headers;
}

interface Conn {
  id: string;
  setup: WebhookSetup;
}

async function listen(app: Express): Promise<{ server: Server; base: string }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

describe('webhook routes (/webhooks, real Temporal, fixture workflows, port 0)', function () {
  this.timeout(120_000);

  const settings: WebhookSettings = testConfig().webhooks;
  let dir: ReturnType<typeof tempDir>;
  let store: SqliteConnectionStore;
  let service: ConnectionService;
  let server: Server;
  let base: string;
  let client: Client;
  let logs: ReturnType<typeof capturingLogger>;
  const taskQueue = uniqueTaskQueue('webhooks');
  const conns: Record<'both' | 'basic' | 'hmac' | 'refusals', Conn> = {} as Record<
    'both' | 'basic' | 'hmac' | 'refusals',
    Conn
  >;

  async function connection(name: string, zuoraAuth: ZuoraWebhookAuth): Promise<Conn> {
    const created = await service.create(validInput({ name, webhooks: { zuoraAuth } }));
    return { id: created.connection.id, setup: created.setup };
  }

  before(async () => {
    dir = tempDir('tzs-webhooks-');
    store = new SqliteConnectionStore(join(dir.path, 'tzs.sqlite'), testKeyring());
    await store.migrate();
    logs = capturingLogger();
    service = new ConnectionService({
      store,
      verifier: goodVerifier(),
      log: logs.log,
      publicBaseUrl: 'https://sync.example.com',
    });
    conns.both = await connection('Both', 'basic+hmac');
    conns.basic = await connection('Basic only', 'basic');
    conns.hmac = await connection('HMAC only', 'hmac');
    conns.refusals = await connection('Refusals', 'basic+hmac');
    client = testEnv().client;
    const app = createGatewayApp({
      connection: testEnv().connection,
      log: logs.log,
      webhooks: { service, client, taskQueue, settings },
    });
    ({ server, base } = await listen(app));
  });

  after(async () => {
    await close(server);
    await store.close();
    dir.remove();
  });

  /** A Zuora callout as a template with Basic auth and the HMAC header would send it. */
  async function zuora(
    conn: Conn,
    body: unknown,
    options: {
      notificationId?: string | null;
      authorization?: string | null;
      signature?: string | null;
      contentType?: string;
      base?: string;
      path?: string;
    } = {},
  ): Promise<Answer> {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/json' };
    const { basic: creds, hmac } = conn.setup.zuora;
    const authorization =
      options.authorization === undefined && creds
        ? basic(creds.username, creds.password)
        : options.authorization;
    if (authorization) headers['authorization'] = authorization;
    const signature =
      options.signature === undefined && hmac
        ? createHmac('sha256', hmac.secret).update(raw).digest('base64')
        : options.signature;
    if (signature) headers['x-zuora-signature'] = signature;
    const notificationId = options.notificationId === undefined ? randomUUID() : options.notificationId;
    if (notificationId !== null) headers['zuora-notification-id'] = notificationId;
    const res = await fetch(`${options.base ?? base}${options.path ?? `/webhooks/zuora/${conn.id}`}`, {
      method: 'POST',
      headers,
      body: raw,
    });
    const text = await res.text();
    return {
      status: res.status,
      json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      headers: res.headers,
    };
  }

  function togaiEvent(eventType: string, entityId: string, eventId = `evt_${randomUUID()}`): string {
    return JSON.stringify({
      eventId,
      eventType,
      eventTime: new Date().toISOString(),
      entityId,
      entity: { id: entityId },
    });
  }

  async function togai(
    conn: Conn,
    raw: string,
    options: {
      signature?: string | null;
      at?: number;
      secret?: string;
      base?: string;
      contentType?: string;
    } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/json' };
    const at = options.at ?? Math.floor(Date.now() / 1000);
    const signature =
      options.signature === undefined
        ? togaiSignatureHeader(options.secret ?? conn.setup.togai.hmac.secret, raw, at)
        : options.signature;
    if (signature !== null) headers['togai-signature'] = signature;
    const res = await fetch(`${options.base ?? base}/webhooks/togai/${conn.id}`, {
      method: 'POST',
      headers,
      body: raw,
    });
    const text = await res.text();
    return {
      status: res.status,
      json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      headers: res.headers,
    };
  }

  async function assertNotStarted(workflowId: string): Promise<void> {
    await assert.rejects(client.workflow.getHandle(workflowId).describe(), WorkflowNotFoundError, workflowId);
  }

  /** Visibility is eventually consistent: wait until the run shows, then there must be only it. */
  async function listedRuns(query: string, expectRunId: string): Promise<string[]> {
    for (let i = 0; i < 100; i++) {
      const ids: string[] = [];
      for await (const wf of client.workflow.list({ query })) ids.push(wf.runId);
      if (ids.includes(expectRunId)) return ids;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`run ${expectRunId} never became visible for ${query}`);
  }

  function withFixtures<T>(fn: () => Promise<T>): Promise<T> {
    return withWorker({ taskQueue, workflowsPath: FIXTURE_WORKFLOWS, activities: fixtureActivities }, fn);
  }

  it('a delivery for a flow switched off is answered 200 "disabled", names the flow, and starts nothing (issue 10)', async () => {
    const off = await service.create(
      validInput({
        name: 'Flows off',
        flows: {
          zuoraAccountToTogai: false,
          togaiAccountToZuora: false,
          invoices: false,
          usageQuantity: false,
          usageRevenue: false,
        },
      }),
    );
    const conn: Conn = { id: off.connection.id, setup: off.setup };
    const callout = await zuora(conn, { AccountId: 'z-disabled-1' });
    assert.equal(callout.status, 200);
    assert.equal(callout.json['status'], 'disabled');
    assert.equal(callout.json['flow'], FLOW.zuoraAccountToTogai);
    assert.match(String(callout.json['reason']), /flow 1 .* is off/);
    await assertNotStarted(zuoraAccountToTogai.workflowId(conn.id, 'z-disabled-1'));

    const account = await togai(conn, togaiEvent('account.created', 'acct-disabled-1'));
    assert.deepEqual(
      [account.status, account.json['status'], account.json['flow']],
      [200, 'disabled', FLOW.togaiAccountToZuora],
    );
    await assertNotStarted(togaiAccountToZuora.workflowId(conn.id, 'acct-disabled-1'));

    const invoice = await togai(conn, togaiEvent('invoice.generated', 'inv-disabled-1'));
    assert.deepEqual(
      [invoice.status, invoice.json['status'], invoice.json['flow']],
      [200, 'disabled', FLOW.togaiInvoiceToZuora],
    );
    assert.match(String(invoice.json['reason']), /flows 3, 4 and 5/);
    await assertNotStarted(togaiInvoiceToZuora.workflowId(conn.id, 'inv-disabled-1'));

    // Zuora bills the usage: the invoice event still starts the (usage) sync.
    await service.update(conn.id, { flows: { usageRevenue: true } });
    const usage = await togai(conn, togaiEvent('invoice.generated', 'inv-usage-1'));
    assert.deepEqual([usage.status, usage.json['status']], [200, 'started']);
  });

  it('the same callout delivered 20 times at once, then again after completion, runs exactly one workflow', async () => {
    await withFixtures(async () => {
      const account = `acct-${randomUUID()}`;
      const workflowId = zuoraAccountToTogai.workflowId(conns.both.id, account);
      const notificationId = randomUUID();
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => zuora(conns.both, { AccountId: account }, { notificationId })),
      );
      for (const a of answers) assert.equal(a.status, 200, JSON.stringify(a.json));
      const runIds = new Set(answers.map((a) => a.json['runId']));
      assert.equal(runIds.size, 1, 'every answer names the same run');
      const statuses = answers.map((a) => a.json['status']);
      assert.equal(statuses.filter((s) => s === 'started').length, 1, `statuses: ${statuses.join(',')}`);
      for (const s of statuses)
        assert.ok(['started', 'already-running', 'already-completed'].includes(String(s)));
      for (const a of answers) assert.equal(a.json['workflowId'], workflowId);

      const runId = String(answers[0]?.json['runId']);
      const handle = client.workflow.getHandle(workflowId, runId);
      assert.deepEqual(await handle.result(), {
        connectionId: conns.both.id,
        zuoraAccountId: account,
        trigger: 'zuora-callout',
        notificationId,
      });

      // Redelivered (Zuora retry) and a second notification for the same account: no new run.
      const again = await zuora(conns.both, { AccountId: account }, { notificationId });
      assert.deepEqual(again.json, { workflowId, runId, status: 'already-completed' });
      const other = await zuora(conns.both, { AccountId: account });
      assert.deepEqual(other.json, { workflowId, runId, status: 'already-completed' });

      assert.deepEqual(runsOf(workflowId), [runId], 'exactly one run executed');
      const description = await client.workflow.getHandle(workflowId).describe();
      assert.equal(description.runId, runId);
      assert.equal(description.typedSearchAttributes.get(SA.connectionId), conns.both.id);
      assert.equal(description.typedSearchAttributes.get(SA.flow), FLOW.zuoraAccountToTogai);
      assert.equal(description.typedSearchAttributes.get(SA.zuoraAccountId), account);
      assert.deepEqual(await listedRuns(`TzsZuoraAccountId = "${account}"`, runId), [runId]);
    });
  });

  it('a redelivered Zuora-Notification-Id after a failed run starts a new run (the retry); after a completed one it does not', async () => {
    await withFixtures(async () => {
      const account = `fail-${randomUUID()}`;
      const workflowId = zuoraAccountToTogai.workflowId(conns.both.id, account);
      const first = await zuora(conns.both, { AccountId: account }, { notificationId: 'notif-1' });
      assert.equal(first.json['status'], 'started');
      const runId = String(first.json['runId']);
      await assert.rejects(client.workflow.getHandle(workflowId, runId).result(), WorkflowFailedError);

      // The same notification again (Zuora's resend, an operator's replay): a new run of the same ID.
      const redelivered = await zuora(conns.both, { AccountId: account }, { notificationId: 'notif-1' });
      assert.equal(redelivered.status, 200);
      assert.equal(redelivered.json['status'], 'started');
      assert.equal(redelivered.json['workflowId'], workflowId);
      const secondRunId = String(redelivered.json['runId']);
      assert.notEqual(secondRunId, runId);
      await assert.rejects(client.workflow.getHandle(workflowId, secondRunId).result(), WorkflowFailedError);
      assert.deepEqual(runsOf(workflowId).sort(), [runId, secondRunId].sort());

      // A different notification for the same account retries as well.
      const retry = await zuora(conns.both, { AccountId: account }, { notificationId: 'notif-2' });
      assert.equal(retry.json['status'], 'started');
      assert.ok(![runId, secondRunId].includes(String(retry.json['runId'])));
      await assert.rejects(
        client.workflow.getHandle(workflowId, String(retry.json['runId'])).result(),
        WorkflowFailedError,
      );
      assert.deepEqual(runsOf(workflowId).sort(), [runId, secondRunId, String(retry.json['runId'])].sort());
    });
  });

  it('a callout while the sync runs finds it running; after it completes, already-completed', async () => {
    await withFixtures(async () => {
      const account = `hold-${randomUUID()}`;
      const workflowId = zuoraAccountToTogai.workflowId(conns.basic.id, account);
      const first = await zuora(conns.basic, { AccountId: account });
      assert.equal(first.json['status'], 'started');
      const runId = String(first.json['runId']);
      const second = await zuora(conns.basic, { AccountId: account });
      assert.deepEqual(second.json, { workflowId, runId, status: 'already-running' });
      const handle = client.workflow.getHandle(workflowId, runId);
      await handle.signal('release');
      await handle.result();
      const third = await zuora(conns.basic, { AccountId: account });
      assert.deepEqual(third.json, { workflowId, runId, status: 'already-completed' });
      assert.deepEqual(runsOf(workflowId), [runId]);
    });
  });

  it('authenticates Zuora callouts as the connection says: Basic and/or HMAC, constant-time, 401 otherwise', async () => {
    const both = conns.both.setup.zuora;
    assert.ok(both.basic && both.hmac);
    const body = (account: string): string => JSON.stringify({ AccountId: account });
    const sign = (secret: string, raw: string): string =>
      createHmac('sha256', secret).update(raw).digest('base64');
    const cases: { label: string; conn: Conn; account: string; options: Parameters<typeof zuora>[2] }[] = [
      { label: 'no Basic (basic+hmac)', conn: conns.both, account: 'a1', options: { authorization: null } },
      { label: 'no signature (basic+hmac)', conn: conns.both, account: 'a2', options: { signature: null } },
      {
        label: 'wrong password',
        conn: conns.both,
        account: 'a3',
        options: { authorization: basic(both.basic.username, `${both.basic.password}x`) },
      },
      {
        label: 'wrong user',
        conn: conns.both,
        account: 'a4',
        options: { authorization: basic('someone', both.basic.password) },
      },
      {
        label: 'signature of another body',
        conn: conns.both,
        account: 'a5',
        options: { signature: sign(both.hmac.secret, body('other')) },
      },
      {
        label: 'signature with another secret',
        conn: conns.both,
        account: 'a6',
        options: { signature: sign('not-the-secret', body('a6')) },
      },
      {
        label: 'hex instead of the configured base64',
        conn: conns.both,
        account: 'a7',
        options: { signature: createHmac('sha256', both.hmac.secret).update(body('a7')).digest('hex') },
      },
      {
        label: "another connection's credentials",
        conn: conns.basic,
        account: 'a8',
        options: { authorization: basic(both.basic.username, both.basic.password) },
      },
      { label: 'hmac-only without signature', conn: conns.hmac, account: 'a9', options: { signature: null } },
      {
        label: 'Bearer instead of Basic',
        conn: conns.basic,
        account: 'a10',
        options: { authorization: `Bearer ${both.basic.password}` },
      },
    ];
    for (const c of cases) {
      const res = await zuora(c.conn, { AccountId: c.account }, c.options);
      assert.equal(res.status, 401, c.label);
      assert.equal(res.json['error'], 'unauthorized', c.label);
      await assertNotStarted(zuoraAccountToTogai.workflowId(c.conn.id, c.account));
    }
    const challenged = await zuora(conns.basic, { AccountId: 'a11' }, { authorization: null });
    assert.match(challenged.headers.get('www-authenticate') ?? '', /^Basic realm="tzs-webhooks"/);

    // What each mode needs is enough on its own (no worker needed: an accepted start is the answer).
    const basicOnly = await zuora(conns.basic, { AccountId: `ok-${randomUUID()}` });
    assert.equal(basicOnly.status, 200);
    assert.equal(basicOnly.json['status'], 'started');
    const hmacOnly = await zuora(conns.hmac, { AccountId: `ok-${randomUUID()}` });
    assert.equal(hmacOnly.status, 200);

    const logged = logs.text();
    for (const s of [both.basic.password, both.hmac.secret])
      assert.ok(!logged.includes(s), 'a secret was logged');
  });

  it('keeps accepting the previous webhook credentials during a rotation grace period', async () => {
    const conn = await connection('Rotated', 'basic+hmac');
    const rotated = await service.rotate(conn.id, { graceMinutes: 5 });
    assert.ok(rotated.setup);
    const fresh: Conn = { id: conn.id, setup: rotated.setup };
    for (const [label, c] of [
      ['old', conn],
      ['new', fresh],
    ] as const) {
      const z = await zuora(c, { AccountId: `rot-${label}-${randomUUID()}` });
      assert.equal(z.status, 200, `${label} Zuora credentials`);
      const t = await togai(c, togaiEvent('account.created', `rot-${label}-${randomUUID()}`));
      assert.equal(t.status, 200, `${label} Togai secret`);
    }
  });

  it('refuses every bad request with its status and reason, and starts nothing', async () => {
    const conn = conns.refusals;
    const account = 'never-started';
    const workflowId = zuoraAccountToTogai.workflowId(conn.id, account);
    const raw = JSON.stringify({ AccountId: account });

    const unknown = await zuora({ ...conn, id: 'conn_0000000000000000' }, { AccountId: account });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json['error'], 'unknown_connection');
    assert.equal(
      (await zuora(conn, { AccountId: account }, { path: '/webhooks/zuora/not-an-id' })).status,
      404,
    );
    assert.equal(
      (await togai({ ...conn, id: 'conn_0000000000000000' }, togaiEvent('account.created', 'x'))).status,
      404,
    );

    const cases: { label: string; res: Promise<Answer>; error: string }[] = [
      { label: 'malformed JSON', res: zuora(conn, '{"AccountId": '), error: 'invalid_json' },
      {
        label: 'wrong content type',
        res: zuora(conn, raw, { contentType: 'application/x-www-form-urlencoded' }),
        error: 'unsupported_content_type',
      },
      {
        label: 'text/plain',
        res: zuora(conn, raw, { contentType: 'text/plain' }),
        error: 'unsupported_content_type',
      },
      { label: 'missing AccountId', res: zuora(conn, { accountId: account }), error: 'invalid_payload' },
      { label: 'empty AccountId', res: zuora(conn, { AccountId: '' }), error: 'invalid_payload' },
      { label: 'AccountId not a string', res: zuora(conn, { AccountId: 42 }), error: 'invalid_payload' },
      { label: 'AccountId with a colon', res: zuora(conn, { AccountId: 'a:b' }), error: 'invalid_payload' },
      { label: 'array body', res: zuora(conn, [account]), error: 'invalid_payload' },
      { label: 'empty body', res: zuora(conn, ''), error: 'empty_body' },
      {
        label: 'oversized body',
        res: zuora(conn, { AccountId: account, padding: 'x'.repeat(ZUORA_BODY_LIMIT) }),
        error: 'payload_too_large',
      },
      {
        label: 'bad Zuora-Notification-Id',
        res: zuora(conn, raw, { notificationId: 'has spaces in it' }),
        error: 'invalid_header',
      },
    ];
    for (const c of cases) {
      const res = await c.res;
      assert.equal(res.status, 400, c.label);
      assert.equal(res.json['error'], c.error, c.label);
      assert.equal(typeof res.json['message'], 'string', c.label);
    }
    const missing = await zuora(conn, { accountId: account });
    assert.match(String(missing.json['message']), /AccountId/);

    const togaiCases: { label: string; res: Promise<Answer>; error: string }[] = [
      { label: 'Togai malformed JSON', res: togai(conn, '{"eventId": '), error: 'invalid_json' },
      {
        label: 'Togai wrong content type',
        res: togai(conn, togaiEvent('account.created', account), { contentType: 'text/plain' }),
        error: 'unsupported_content_type',
      },
      {
        label: 'Togai missing eventId',
        res: togai(conn, JSON.stringify({ eventType: 'account.created', entityId: account })),
        error: 'invalid_payload',
      },
      {
        label: 'Togai missing entityId',
        res: togai(conn, JSON.stringify({ eventId: 'evt_1', eventType: 'invoice.generated' })),
        error: 'invalid_payload',
      },
      {
        label: 'Togai oversized body',
        res: togai(
          conn,
          JSON.stringify({
            eventId: 'evt_2',
            eventType: 'account.created',
            entityId: account,
            entity: 'x'.repeat(TOGAI_BODY_LIMIT),
          }),
        ),
        error: 'payload_too_large',
      },
    ];
    for (const c of togaiCases) {
      const res = await c.res;
      assert.equal(res.status, 400, c.label);
      assert.equal(res.json['error'], c.error, c.label);
    }

    await assertNotStarted(workflowId);
    await assertNotStarted(togaiAccountToZuora.workflowId(conn.id, account));
    await assertNotStarted(togaiInvoiceToZuora.workflowId(conn.id, account));
    const listed: string[] = [];
    for await (const wf of client.workflow.list({ query: `TzsConnectionId = "${conn.id}"` }))
      listed.push(wf.workflowId);
    assert.deepEqual(listed, []);
  });

  it('Togai: account created and invoice generated start their flows; unknown events are acknowledged', async () => {
    await withFixtures(async () => {
      const conn = conns.both;
      const accountId = `ACC-${randomUUID()}`;
      const eventId = `evt_${randomUUID()}`;
      const raw = togaiEvent('account.created', accountId, eventId);
      const answers = await Promise.all(Array.from({ length: 20 }, () => togai(conn, raw)));
      for (const a of answers) assert.equal(a.status, 200, JSON.stringify(a.json));
      assert.equal(answers.filter((a) => a.json['status'] === 'started').length, 1);
      const workflowId = togaiAccountToZuora.workflowId(conn.id, accountId);
      const runId = String(answers[0]?.json['runId']);
      assert.deepEqual(await client.workflow.getHandle(workflowId, runId).result(), {
        connectionId: conn.id,
        togaiAccountId: accountId,
        trigger: 'togai-webhook',
        eventId,
      });
      const redelivered = await togai(conn, raw);
      assert.deepEqual(redelivered.json, { workflowId, runId, status: 'already-completed' });
      assert.deepEqual(runsOf(workflowId), [runId]);
      const d = await client.workflow.getHandle(workflowId).describe();
      assert.equal(d.typedSearchAttributes.get(SA.flow), FLOW.togaiAccountToZuora);
      assert.equal(d.typedSearchAttributes.get(SA.togaiAccountId), accountId);
      assert.equal(d.typedSearchAttributes.get(SA.connectionId), conn.id);

      const invoiceId = `INV-${randomUUID()}`;
      const invoiceEvent = `evt_${randomUUID()}`;
      const invoice = await togai(conn, togaiEvent('invoice.generated', invoiceId, invoiceEvent));
      assert.equal(invoice.status, 200);
      assert.equal(invoice.json['status'], 'started');
      const invoiceWorkflowId = togaiInvoiceToZuora.workflowId(conn.id, invoiceId);
      assert.equal(invoice.json['workflowId'], invoiceWorkflowId);
      assert.deepEqual(await client.workflow.getHandle(invoiceWorkflowId).result(), {
        connectionId: conn.id,
        togaiInvoiceId: invoiceId,
        trigger: 'togai-webhook',
        eventId: invoiceEvent,
      });
      const di = await client.workflow.getHandle(invoiceWorkflowId).describe();
      assert.equal(di.typedSearchAttributes.get(SA.flow), FLOW.togaiInvoiceToZuora);
      assert.equal(di.typedSearchAttributes.get(SA.togaiInvoiceId), invoiceId);

      const ignored = await togai(conn, togaiEvent('customer.updated', 'CUS-1'));
      assert.equal(ignored.status, 200);
      assert.equal(ignored.json['ignored'], true);
      assert.match(logs.text(), /Togai event type not synced: ignored/);
      await assertNotStarted(togaiAccountToZuora.workflowId(conn.id, 'CUS-1'));
    });
  });

  it('an invoice past the connection\'s bound of syncs in flight is queued (200 "queued"), then started in order when room frees (issue 12)', async () => {
    const bounded = await service.create(validInput({ name: 'Bounded', maxInFlightInvoiceSyncs: 1 }));
    const conn: Conn = { id: bounded.connection.id, setup: bounded.setup };
    const activities = {
      ...fixtureActivities,
      ...createSweepActivities({
        clients: new ResolvingClientSource(service),
        startSync: { client, taskQueue, timeoutMs: 10_000 },
      }),
    };
    const admissionId = invoiceAdmission.workflowId(conn.id);
    await withWorker({ taskQueue, workflowsPath: FIXTURE_WORKFLOWS, activities }, async () => {
      try {
        const held = `hold-${randomUUID()}`;
        const first = await togai(conn, togaiEvent('invoice.generated', held));
        assert.equal(first.json['status'], 'started', JSON.stringify(first.json));
        const heldId = togaiInvoiceToZuora.workflowId(conn.id, held);
        // Visibility sees the held run before the next deliveries are admitted against it.
        await eventually(async () => (await runningInvoiceSyncs(client, conn.id)) === 1);

        const later = [`INV-${randomUUID()}`, `INV-${randomUUID()}`];
        const answers = [];
        for (const id of later) answers.push(await togai(conn, togaiEvent('invoice.generated', id)));
        for (const [i, a] of answers.entries()) {
          assert.equal(a.status, 200);
          assert.deepEqual(a.json, {
            workflowId: togaiInvoiceToZuora.workflowId(conn.id, later[i] ?? ''),
            status: 'queued',
            admissionWorkflowId: admissionId,
          });
        }
        // A redelivery while queued is queued again, and the queue keeps one entry.
        const again = await togai(conn, togaiEvent('invoice.generated', later[0] ?? ''));
        assert.equal(again.json['status'], 'queued');
        for (const id of later) await assertNotStarted(togaiInvoiceToZuora.workflowId(conn.id, id));
        // What waits, as an operator asks for it (`temporal workflow query --name queued`).
        const waiting = await client.workflow
          .getHandle(admissionId)
          .query<{ togaiInvoiceId: string }[]>(invoiceAdmission.queuedQuery);
        assert.deepEqual(
          waiting.map((q) => q.togaiInvoiceId),
          later,
        );

        await client.workflow.getHandle(heldId).signal('release');
        for (const id of later) {
          const workflowId = togaiInvoiceToZuora.workflowId(conn.id, id);
          await eventually(() => runsOf(workflowId).length > 0, 30_000, `a run of ${workflowId}`);
          const result = (await client.workflow.getHandle(workflowId).result()) as Record<string, unknown>;
          assert.equal(result['trigger'], 'togai-webhook');
          assert.equal(runsOf(workflowId).length, 1, 'one run per queued invoice');
        }
        const d = await client.workflow.getHandle(admissionId).describe();
        assert.equal(d.typedSearchAttributes.get(SA.connectionId), conn.id);
        assert.equal(d.typedSearchAttributes.get(SA.flow), FLOW.invoiceAdmission);
      } finally {
        await client.workflow
          .getHandle(admissionId)
          .terminate('test over')
          .catch(() => undefined);
      }
    });
  });

  it('Togai: refuses a missing, malformed, wrong or stale signature with 401 and starts nothing', async () => {
    const conn = conns.both;
    const now = Math.floor(Date.now() / 1000);
    const tolerance = settings.togaiToleranceSeconds;
    const account = 'ACC-never';
    const raw = togaiEvent('account.created', account);
    const cases: { label: string; options: Parameters<typeof togai>[2] }[] = [
      { label: 'missing', options: { signature: null } },
      { label: 'malformed', options: { signature: 'v1=abc' } },
      { label: 'wrong secret', options: { secret: 'not-the-secret' } },
      { label: 'old timestamp (replay)', options: { at: now - tolerance - 60 } },
      { label: 'future timestamp', options: { at: now + tolerance + 60 } },
      {
        label: 'signature of another body',
        options: { signature: togaiSignatureHeader(conn.setup.togai.hmac.secret, `${raw} `, now) },
      },
    ];
    for (const c of cases) {
      const res = await togai(conn, raw, c.options);
      assert.equal(res.status, 401, c.label);
      assert.equal(res.json['error'], 'unauthorized', c.label);
    }
    const stale = await togai(conn, raw, { at: now - tolerance - 60 });
    assert.match(String(stale.json['message']), /replay/);
    await assertNotStarted(togaiAccountToZuora.workflowId(conn.id, account));
    assert.ok(!logs.text().includes(conn.setup.togai.hmac.secret), 'the secret was not logged');
  });

  it('answers 503 when Temporal is unreachable, so Zuora and Togai retry', async () => {
    const closed = await freePort();
    const down = Connection.lazy({ address: `127.0.0.1:${closed}` });
    const app = createGatewayApp({
      connection: down,
      log: logs.log,
      webhooks: {
        service,
        client: new Client({ connection: down }),
        taskQueue,
        settings: { ...settings, temporalTimeoutMs: 1_000 },
      },
    });
    const gw = await listen(app);
    try {
      const account = `down-${randomUUID()}`;
      const z = await zuora(conns.both, { AccountId: account }, { base: gw.base });
      assert.equal(z.status, 503);
      assert.equal(z.json['error'], 'temporal_unavailable');
      const t = await togai(conns.both, togaiEvent('invoice.generated', account), { base: gw.base });
      assert.equal(t.status, 503);
      // Refusals that need no Temporal still answer as usual.
      assert.equal(
        (await zuora(conns.both, { AccountId: account }, { base: gw.base, signature: null })).status,
        401,
      );
      await assertNotStarted(zuoraAccountToTogai.workflowId(conns.both.id, account));
    } finally {
      await close(gw.server);
      await down.close();
    }
  });
});
