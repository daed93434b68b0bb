import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload } from '@temporalio/common';
import proto from '@temporalio/proto';
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities/index.js';
import { createCodecServerApp, payloadToJson } from '../../src/api/codec-server.js';
import { Keyring } from '../../src/connections/crypto.js';
import {
  FLOW,
  togaiAccountToZuora,
  zuoraAccountToTogai,
  type AccountSyncResult,
  type SyncTogaiAccountInput,
  type SyncZuoraAccountInput,
} from '../../src/flows/index.js';
import { dataConverterFor, EncryptionCodec } from '../../src/temporal/codec.js';
import { createWorker, PRODUCTION_WORKFLOWS_PATH } from '../../src/worker.js';
import { testEnv } from '../hooks.js';
import {
  BILLING_ZUORA_OPTIONS,
  closeCycle,
  ingest,
  ok as invoiceOk,
  post,
  runInvoiceSync,
  seedAccount,
  seedCatalog,
  zuoraInvoicesFor,
} from '../helpers/billing.js';
import { TEST_KEYRING } from '../helpers/codec.js';
import { capturingLogger } from '../connections/helpers.js';
import { startSimulatedConnection, type SimulatedConnection } from '../helpers/simulators.js';
import { bundleFor, testConfig, uniqueTaskQueue, withWorker } from '../helpers/temporal.js';
import { eventually } from '../helpers/wait.js';

const History = proto.temporal.api.history.v1.History;

/** Distinctive customer data seeded into both simulators: none of it may reach Temporal readable. */
const CONTACT = { firstName: 'Zebulon', lastName: 'Quartermaine', email: 'zq@example.org' };
const FULL_NAME = 'Zebulon Quartermaine';
const STREET = '77 Quartermaine Row';
/** 15 calls at 0.002 + 17,279 GB on the tiered storage charge (5 flat, 900 × 0.1, 16,279 × 0.07). */
const AMOUNT = '1234.56';
const NEEDLES = ['Zebulon', 'Quartermaine', CONTACT.email, AMOUNT];

const TOKEN = 'encrypted-history-test-token-0123456789';
const UI = 'http://localhost:8233';

/**
 * Issue 14's "must show": the raw history of synced accounts and an invoice, read from the Temporal
 * server without the codec, holds no customer name, email or amount in clear text; the codec
 * server decodes the same payloads with the token, and only with it; a history written under a
 * retired key still decodes after a rotation.
 */
describe('Customer data encrypted in Temporal history (real flows, real Temporal, codec server)', function () {
  let env: SimulatedConnection;
  const servers: Server[] = [];
  const logs = capturingLogger();

  before(async () => {
    env = await startSimulatedConnection({ zuora: BILLING_ZUORA_OPTIONS });
  });
  after(async () => {
    await env.close();
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  /** A codec server over `keyring` on a free loopback port. */
  async function codecServer(keyring: Keyring): Promise<string> {
    const app = createCodecServerApp({
      codec: EncryptionCodec.fromKeyring(keyring),
      token: TOKEN,
      origins: [UI],
      log: logs.log,
    });
    const server = createServer(app);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Every event of a run, straight from the server's gRPC API: no client, no data converter. */
  async function rawHistory(
    workflowId: string,
    runId?: string,
  ): Promise<proto.temporal.api.history.v1.IHistoryEvent[]> {
    const { connection, namespace } = testEnv();
    const events: proto.temporal.api.history.v1.IHistoryEvent[] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await connection.workflowService.getWorkflowExecutionHistory({
        namespace: namespace ?? 'default',
        execution: { workflowId, ...(runId && { runId }) },
        ...(nextPageToken && { nextPageToken }),
      });
      events.push(...(page.history?.events ?? []));
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    return events;
  }

  /**
   * The payloads of a history, each with `sa` set when it is one the codec never sees: search
   * attribute values (IDs and outcomes, by design) and the SDK's own patch markers (patch IDs,
   * written by the SDK core). Both still go through the byte scan of assertNothingReadable.
   */
  function payloadsOf(
    value: unknown,
    underSearchAttributes = false,
    out: { payload: Payload; sa: boolean; path: string }[] = [],
    path = '',
  ) {
    if (!value || typeof value !== 'object' || value instanceof Uint8Array) return out;
    const o = value as Record<string, unknown>;
    if (o['data'] instanceof Uint8Array && o['metadata'] && typeof o['metadata'] === 'object') {
      out.push({ payload: o, sa: underSearchAttributes, path });
      return out;
    }
    for (const [k, v] of Object.entries(o)) {
      payloadsOf(
        v,
        underSearchAttributes || k === 'searchAttributes' || k === 'patch-data',
        out,
        `${path}.${k}`,
      );
    }
    return out;
  }

  const text = (u: Uint8Array | null | undefined): string =>
    Buffer.from(u ?? new Uint8Array()).toString('utf8');

  function assertNothingReadable(events: proto.temporal.api.history.v1.IHistoryEvent[], what: string): void {
    const bytes = Buffer.from(History.encode({ events }).finish()).toString('latin1');
    for (const needle of NEEDLES) {
      assert.ok(!bytes.includes(needle), `${what}: "${needle}" is readable in the raw history`);
    }
  }

  async function decodeThrough(url: string, payloads: Payload[], headers: Record<string, string>) {
    return fetch(`${url}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
      body: JSON.stringify({ payloads: payloads.map(payloadToJson) }),
    });
  }

  async function decodedText(url: string, payloads: Payload[]): Promise<string> {
    const res = await decodeThrough(url, payloads, { authorization: `Bearer ${TOKEN}` });
    assert.equal(res.status, 200, logs.text());
    const body = (await res.json()) as { payloads: { data: string }[] };
    return body.payloads.map((p) => Buffer.from(p.data, 'base64').toString('utf8')).join('\n');
  }

  async function seedZuora(): Promise<string> {
    const id = randomBytes(16).toString('hex');
    await post(`${env.zuora.url}/__admin/seed`, {
      accounts: [
        {
          id,
          name: FULL_NAME,
          currency: 'USD',
          billToContact: {
            firstName: CONTACT.firstName,
            lastName: CONTACT.lastName,
            workEmail: CONTACT.email,
            address1: STREET,
            city: 'London',
            zipCode: 'N1 9GU',
            country: 'United Kingdom',
          },
        },
      ],
    });
    return id;
  }

  async function seedTogai(): Promise<string> {
    const suffix = randomBytes(4).toString('hex');
    await post(`${env.togai.url}/__admin/seed`, {
      customers: [
        {
          id: `cust-${suffix}`,
          name: FULL_NAME,
          primaryEmail: CONTACT.email,
          address: { line1: STREET, city: 'Springfield', country: 'US' },
          account: { id: `acct-${suffix}`, name: FULL_NAME, invoiceCurrency: 'USD' },
        },
      ],
    });
    return `acct-${suffix}`;
  }

  async function execute<I>(
    client: Client,
    worker: Worker | undefined,
    flow: string,
    workflowId: string,
    input: I,
  ) {
    const run = () =>
      client.workflow.execute(flow, { taskQueue: worker!.options.taskQueue, workflowId, args: [input] });
    return (await worker!.runUntil(run)) as AccountSyncResult;
  }

  it('flows 1 and 2 and an invoice sync: no name, email or amount readable in any raw history; the codec server decodes them with the token only', async () => {
    const { client } = testEnv();
    const taskQueue = uniqueTaskQueue('encrypted');
    const activities = createActivities(env.activityDeps);
    const zuoraId = await seedZuora();
    const togaiAccountId = await seedTogai();
    const flow1Id = zuoraAccountToTogai.workflowId(env.connectionId, zuoraId);
    const flow2Id = togaiAccountToZuora.workflowId(env.connectionId, togaiAccountId);
    await withWorker({ taskQueue, activities }, async () => {
      const r1 = (await client.workflow.execute(FLOW.zuoraAccountToTogai, {
        taskQueue,
        workflowId: flow1Id,
        args: [
          {
            connectionId: env.connectionId,
            zuoraAccountId: zuoraId,
            trigger: 'manual',
          } satisfies SyncZuoraAccountInput,
        ],
      })) as AccountSyncResult;
      assert.equal(r1.outcome, 'created');
      const r2 = (await client.workflow.execute(FLOW.togaiAccountToZuora, {
        taskQueue,
        workflowId: flow2Id,
        args: [
          {
            connectionId: env.connectionId,
            togaiAccountId,
            trigger: 'manual',
          } satisfies SyncTogaiAccountInput,
        ],
      })) as AccountSyncResult;
      assert.equal(r2.outcome, 'created');
    });
    const catalog = await seedCatalog(env);
    const account = await seedAccount(env, catalog, { currency: 'USD', contact: CONTACT });
    await ingest(env, catalog, account.togaiAccountId, 15, '17279');
    const invoiceId = await closeCycle(env, account.togaiAccountId);
    const invoiceRun = await runInvoiceSync(env, invoiceId, { productionId: true });
    invoiceOk(invoiceRun);
    const [zuoraInvoice] = await zuoraInvoicesFor(env, invoiceId);
    assert.equal(zuoraInvoice?.amount, AMOUNT, 'the invoice carries the distinctive amount');

    // Every run of the connection, children included (visibility may lag the closes).
    const runs = new Map<string, { workflowId: string; runId: string }>();
    await eventually(
      async () => {
        for await (const wf of client.workflow.list({ query: `TzsConnectionId="${env.connectionId}"` })) {
          runs.set(wf.runId, { workflowId: wf.workflowId, runId: wf.runId });
        }
        const ids = [...runs.values()].map((r) => r.workflowId);
        return [flow1Id, flow2Id, invoiceRun.workflowId].every((id) => ids.includes(id));
      },
      20_000,
      'the three syncs listed',
    );

    const all: Payload[] = [];
    for (const run of runs.values()) {
      for (const needle of NEEDLES)
        assert.ok(!run.workflowId.includes(needle), `workflow ID ${run.workflowId}`);
      const events = await rawHistory(run.workflowId, run.runId);
      assertNothingReadable(events, run.workflowId);
      const payloads = payloadsOf(events);
      const encoded = payloads.filter((p) => !p.sa).map((p) => p.payload);
      assert.ok(encoded.length > 0, `${run.workflowId} has payloads`);
      for (const { payload: p, path } of payloads.filter((q) => !q.sa)) {
        assert.equal(
          text(p.metadata?.['encoding']),
          'binary/encrypted',
          `${run.workflowId}: a payload in clear at ${path}: ${text(p.data)}`,
        );
        assert.equal(text(p.metadata?.['encryption-key-id']), TEST_KEYRING.currentKeyId);
      }
      all.push(...encoded);
    }

    // The same payloads through the codec server: readable with the token, and only with it.
    const url = await codecServer(TEST_KEYRING);
    const decoded = await decodedText(url, all);
    for (const needle of [FULL_NAME, CONTACT.email, STREET, AMOUNT]) {
      assert.ok(decoded.includes(needle), `"${needle}" decodes through the codec server`);
    }
    const anonymous = await decodeThrough(url, all, {});
    assert.equal(anonymous.status, 401);
    const foreign = await decodeThrough(url, all, {
      authorization: `Bearer ${TOKEN}`,
      origin: 'http://evil.example',
    });
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
    assert.notEqual(foreign.status, 200);
    const fromUi = await decodeThrough(url, all.slice(0, 1), {
      authorization: `Bearer ${TOKEN}`,
      origin: UI,
    });
    assert.equal(fromUi.status, 200);
    assert.equal(fromUi.headers.get('access-control-allow-origin'), UI);
  });

  it('key rotation: a history written under key A decodes (codec server) and replays (worker) once A is retired and B is current', async () => {
    const keyA = { id: 'rotA', key: randomBytes(32) };
    const ringA = new Keyring(keyA);
    const ringB = new Keyring({ id: 'rotB', key: randomBytes(32) }, [keyA]);
    const { connection, nativeConnection } = testEnv();
    const clientA = new Client({ connection, dataConverter: dataConverterFor(ringA) });
    const workerA = await createWorker({
      config: testConfig(),
      connection: nativeConnection,
      dataConverter: dataConverterFor(ringA),
      taskQueue: uniqueTaskQueue('rotation'),
      workflowBundle: await bundleFor(PRODUCTION_WORKFLOWS_PATH),
      activities: createActivities(env.activityDeps),
    });
    const zuoraId = await seedZuora();
    const workflowId = `${zuoraAccountToTogai.workflowId(env.connectionId, zuoraId)}:rotation`;
    const result = await execute(clientA, workerA, FLOW.zuoraAccountToTogai, workflowId, {
      connectionId: env.connectionId,
      zuoraAccountId: zuoraId,
      trigger: 'manual',
    } satisfies SyncZuoraAccountInput);
    assert.equal(result.outcome, 'created');

    const events = await rawHistory(workflowId);
    assertNothingReadable(events, workflowId);
    const payloads = payloadsOf(events)
      .filter((p) => !p.sa)
      .map((p) => p.payload);
    assert.ok(payloads.every((p) => text(p.metadata?.['encryption-key-id']) === 'rotA'));

    // After the rotation (B current, A retired) the old history still reads and replays.
    const rotated = await codecServer(ringB);
    const decoded = await decodedText(rotated, payloads);
    assert.ok(decoded.includes(FULL_NAME) && decoded.includes(CONTACT.email));
    const history = await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory();
    await Worker.runReplayHistory(
      { workflowBundle: await bundleFor(PRODUCTION_WORKFLOWS_PATH), dataConverter: dataConverterFor(ringB) },
      history,
      workflowId,
    );

    // With A dropped from the ring, the codec server names the missing key instead of guessing.
    const withoutA = await codecServer(new Keyring({ id: 'rotB', key: randomBytes(32) }));
    const refused = await decodeThrough(withoutA, payloads, { authorization: `Bearer ${TOKEN}` });
    assert.equal(refused.status, 422);
    const body = (await refused.json()) as { keyId: string; message: string };
    assert.equal(body.keyId, 'rotA');
    assert.match(body.message, /TZS_ENCRYPTION_OLD_KEYS/);
  });
});
