import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ADMIN_PREFIX, AdminClient, createAdminRouter } from '../../src/common/admin.js';
import { SimClock } from '../../src/common/clock.js';
import { faultMiddleware, FaultStore, parseFaultRules } from '../../src/common/faults.js';
import { RefusalCounters } from '../../src/common/limits.js';
import { listen, type Listening } from '../../src/common/server.js';
import { hmacSignature, WebhookDispatcher, type DeliveryPolicy } from '../../src/common/webhooks.js';

/** A toy simulator: one create route, the admin router, and faults answered in a toy vendor shape. */
function toySimulator() {
  const clock = new SimClock();
  const faults = new FaultStore();
  const refusals = new RefusalCounters();
  const webhooks = new WebhookDispatcher(clock);
  const created: string[] = [];
  const app = express();
  app.use(
    ADMIN_PREFIX,
    createAdminRouter({
      clock,
      faults,
      refusals,
      webhooks,
      state: () => ({ created }),
      reset: () => {
        created.length = 0;
        faults.clear();
      },
    }),
  );
  app.use(
    faultMiddleware(faults, {
      serverError: (_req, res, status) => void res.status(status).json({ toy: 'boom' }),
      tooManyRequests: (_req, res) => {
        refusals.increment('fault');
        res.status(429).set('Retry-After', '1').json({ toy: 'slow down' });
      },
    }),
  );
  app.post('/things', (_req, res) => {
    created.push(`t${created.length + 1}`);
    res.json({ id: created.at(-1), padding: 'x'.repeat(200) });
  });
  return { app, clock, faults, created, webhooks };
}

async function post(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { method: 'POST' });
  return { status: res.status, body: await res.json() };
}

describe('simulators/common faults and admin API', () => {
  let sim: ReturnType<typeof toySimulator>;
  let server: Listening;
  let admin: AdminClient;

  beforeEach(async () => {
    sim = toySimulator();
    server = await listen(sim.app, 0);
    admin = new AdminClient(server.url);
  });
  afterEach(() => server.close());

  it('a 429 burst answers the next N matching requests with the vendor 429, then passes', async () => {
    await admin.setFaults([{ method: 'POST', path: '/things', burst429: 2 }]);
    assert.equal((await post(`${server.url}/things`)).status, 429);
    assert.equal((await post(`${server.url}/things`)).status, 429);
    assert.equal((await post(`${server.url}/things`)).status, 200);
    assert.deepEqual(await admin.refusals(), { fault: 2, total: 2 });
  });

  it('5xx rate 1 answers the vendor error without running the handler; `times` limits the rule', async () => {
    await admin.setFaults([{ path: '/thing*', errorRate: 1, errorStatus: 503, times: 1 }]);
    assert.deepEqual(await post(`${server.url}/things`), { status: 503, body: { toy: 'boom' } });
    assert.equal(sim.created.length, 0);
    assert.equal((await post(`${server.url}/things`)).status, 200);
  });

  it('connection reset: the client sees a socket error, nothing is created', async () => {
    await admin.setFaults([{ path: '/things', resetRate: 1 }]);
    await assert.rejects(fetch(`${server.url}/things`, { method: 'POST' }), TypeError);
    assert.equal(sim.created.length, 0);
  });

  it('hang: no answer until the client times out', async () => {
    await admin.setFaults([{ path: '/things', hangRate: 1 }]);
    await assert.rejects(
      fetch(`${server.url}/things`, { method: 'POST', signal: AbortSignal.timeout(200) }),
      (e: Error) => e.name === 'TimeoutError',
    );
  });

  it('commit then fail (error): the object exists but the client gets the 5xx', async () => {
    await admin.setFaults([{ path: '/things', commitThenFailRate: 1 }]);
    assert.deepEqual(await post(`${server.url}/things`), { status: 500, body: { toy: 'boom' } });
    assert.deepEqual(sim.created, ['t1']);
  });

  it('commit then fail (cut): the object exists but the body is cut mid-way', async () => {
    await admin.setFaults([{ path: '/things', commitThenFailRate: 1, commitThenFailMode: 'cut' }]);
    await assert.rejects(async () => {
      const res = await fetch(`${server.url}/things`, { method: 'POST' });
      assert.equal(res.status, 200);
      await res.text();
    });
    assert.deepEqual(sim.created, ['t1']);
  });

  it('latency delays the answer; admin routes are never faulted', async () => {
    await admin.setFaults([{ path: '*', latencyMs: 50, errorRate: 1 }]);
    assert.equal((await post(`${server.url}/things`)).status, 500);
    const faults = (await (await fetch(`${server.url}${ADMIN_PREFIX}/faults`)).json()) as {
      injected: Record<string, number>;
    };
    assert.deepEqual(faults.injected, { latency: 1, error: 1 });
  });

  it('admin: state, reset, clock advance, invalid fault rule → 400', async () => {
    await post(`${server.url}/things`);
    assert.deepEqual(await admin.state(), { created: ['t1'] });
    await admin.reset();
    assert.deepEqual(await admin.state(), { created: [] });
    const before = sim.clock.now();
    await admin.advanceClock(3_600_000);
    assert.ok(sim.clock.now() - before >= 3_600_000);
    const bad = await fetch(`${server.url}${ADMIN_PREFIX}/faults`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify([{ errorRate: 2 }]),
    });
    assert.equal(bad.status, 400);
  });

  it('fault rules parse from an env-style JSON string with defaults', () => {
    const [rule] = parseFaultRules('[{"path":"/v1/*","latencyMs":10}]');
    assert.equal(rule?.path, '/v1/*');
    assert.deepEqual(parseFaultRules(undefined), []);
    assert.throws(() => parseFaultRules('[{"latencyMs":-1}]'));
  });
});

describe('simulators/common webhook deliveries', () => {
  let receiver: Server;
  let url: string;
  let answers: number[];
  let received: { headers: IncomingMessage['headers']; body: string }[];

  beforeEach(async () => {
    answers = [];
    received = [];
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.statusCode = answers.shift() ?? 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterEach(() => {
    receiver.closeAllConnections();
    receiver.close();
  });

  const policy = (maxAttempts: number, delayMs: number): DeliveryPolicy => ({
    maxAttempts,
    retryDelayMs: () => delayMs,
    timeoutMs: 2000,
    isDelivered: (s) => s === 200,
    isRetriable: (s) => s === undefined || s >= 500 || s === 429,
  });

  it('retries on the simulated clock, fresh headers per attempt, stable delivery id, secrets redacted', async () => {
    const clock = new SimClock();
    const dispatcher = new WebhookDispatcher(clock);
    answers = [500, 503, 200];
    const body = JSON.stringify({ AccountId: 'A1' });
    dispatcher.dispatch({
      deliveryId: 'n-1',
      event: 'AccountCreated',
      url,
      body,
      policy: policy(3, 30 * 60_000),
      headersFor: (attempt) => ({
        'X-Attempt': String(attempt),
        Authorization: 'Basic c2VjcmV0',
        'X-Signature': hmacSignature('sha256', 'k', body),
      }),
    });
    await dispatcher.settled();
    assert.equal(received.length, 1);
    assert.equal(dispatcher.deliveries()[0]?.state, 'pending');
    clock.advance(30 * 60_000);
    await dispatcher.settled();
    clock.advance(30 * 60_000);
    await dispatcher.settled();
    assert.deepEqual(
      received.map((r) => r.headers['x-attempt']),
      ['1', '2', '3'],
    );
    assert.equal(received[0]?.headers['x-signature'], hmacSignature('sha256', 'k', body));
    assert.equal(received[0]?.body, body);
    const log = dispatcher.log();
    assert.deepEqual(
      log.map((a) => [a.attempt, a.status, a.delivered, a.willRetry]),
      [
        [1, 500, false, true],
        [2, 503, false, true],
        [3, 200, true, false],
      ],
    );
    assert.equal(log[0]?.requestHeaders['Authorization'], '[redacted]');
    assert.deepEqual(dispatcher.deliveries(), [
      { deliveryId: 'n-1', event: 'AccountCreated', url, attempts: 3, state: 'delivered' },
    ]);
  });

  it('gives up after the last attempt and on non-retriable statuses; counts a 201 as failed when only 200 counts', async () => {
    const clock = new SimClock();
    const dispatcher = new WebhookDispatcher(clock);
    answers = [201];
    dispatcher.dispatch({
      deliveryId: 'a',
      event: 'e',
      url,
      body: '{}',
      policy: policy(3, 0),
      headersFor: () => ({}),
    });
    await dispatcher.settled();
    assert.equal(dispatcher.deliveries()[0]?.state, 'failed');
    answers = [500, 500];
    dispatcher.dispatch({
      deliveryId: 'b',
      event: 'e',
      url,
      body: '{}',
      policy: policy(2, 0),
      headersFor: () => ({}),
    });
    await dispatcher.settled();
    await new Promise((r) => setTimeout(r, 20));
    await dispatcher.settled();
    assert.deepEqual(
      dispatcher
        .log()
        .filter((a) => a.deliveryId === 'b')
        .map((a) => a.status),
      [500, 500],
    );
    assert.equal(dispatcher.deliveries().find((d) => d.deliveryId === 'b')?.state, 'failed');
  });

  it('a refused connection is a failed, retriable attempt', async () => {
    const clock = new SimClock();
    const dispatcher = new WebhookDispatcher(clock);
    dispatcher.dispatch({
      deliveryId: 'c',
      event: 'e',
      url: 'http://127.0.0.1:1/nothing',
      body: '{}',
      policy: policy(2, 60_000),
      headersFor: () => ({}),
    });
    await dispatcher.settled();
    const [first] = dispatcher.log();
    assert.equal(first?.status, undefined);
    assert.ok(first?.error);
    assert.equal(first?.willRetry, true);
    dispatcher.reset();
    assert.equal(clock.pendingTimers(), 0);
  });
});
