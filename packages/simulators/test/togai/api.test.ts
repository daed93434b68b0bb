import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { AdminClient } from '../../src/common/admin.js';
import { SimClock } from '../../src/common/clock.js';
import type { OpenApiContract } from '../../src/common/openapi.js';
import { loadTogaiContract } from '../../src/togai/contract.js';
import type { TogaiSeed } from '../../src/togai/seed.js';
import {
  startTogaiSimulator,
  type RunningTogaiSimulator,
  type TogaiSimulatorOptions,
} from '../../src/togai/simulator.js';
import { verifyTogaiSignature } from '../../src/togai/webhooks.js';
import { arr, assertTogaiError, caller, obj, TOKEN } from './helpers.js';

const DAY = 86_400_000;

/**
 * Two meters priced in USD and EUR: calls per unit (0.07 / 0.065), data over three tiers
 * (first 100 flat 15.90 / 14.50, then 0.10 / 0.09 up to 1,000, then 0.075 / 0.065).
 */
const BILLING_SEED: TogaiSeed = {
  usageMeters: [
    { id: 'um.calls', name: 'calls', displayName: 'Calls', aggregation: 'COUNT', eventSchemaName: 'call' },
    {
      id: 'um.data',
      name: 'data',
      displayName: 'Data (MB)',
      aggregation: 'SUM',
      computations: [{ computation: 'mb', order: 1 }],
      eventSchemaName: 'transfer',
      settings: [
        { id: 'zuora_charge_id', namespace: 'USER', name: 'Zuora charge', dataType: 'STRING', value: 'C-42' },
      ],
    },
  ],
  pricePlans: [
    {
      id: 'pp.usage',
      name: 'Usage',
      rateCards: [
        {
          displayName: 'Calls',
          usageMeterId: 'um.calls',
          ratePlan: { pricingModel: 'TIERED', slabs: [{ order: 1, startAfter: 0, priceType: 'PER_UNIT' }] },
          rateValues: [
            { currency: 'USD', slabRates: [{ order: 1, rate: '0.07' }] },
            { currency: 'EUR', slabRates: [{ order: 1, rate: '0.065' }] },
          ],
        },
        {
          displayName: 'Data',
          usageMeterId: 'um.data',
          ratePlan: {
            pricingModel: 'TIERED',
            slabs: [
              { order: 1, startAfter: 0, priceType: 'FLAT' },
              { order: 2, startAfter: 100, priceType: 'PER_UNIT' },
              { order: 3, startAfter: 1000, priceType: 'PER_UNIT' },
            ],
          },
          rateValues: [
            {
              currency: 'USD',
              slabRates: [
                { order: 1, rate: '15.90' },
                { order: 2, rate: '0.10' },
                { order: 3, rate: '0.075' },
              ],
            },
            {
              currency: 'EUR',
              slabRates: [
                { order: 1, rate: '14.50' },
                { order: 2, rate: '0.09' },
                { order: 3, rate: '0.065' },
              ],
            },
          ],
        },
      ],
    },
  ],
  defaultPricePlanId: 'pp.usage',
  customers: [
    {
      id: 'CUST-US',
      name: 'US customer',
      primaryEmail: 'us@example.com',
      address: { country: 'US' },
      account: { id: 'ACC-US', name: 'US account', invoiceCurrency: 'USD' },
    },
    {
      id: 'CUST-EU',
      name: 'EU customer',
      primaryEmail: 'eu@example.com',
      address: { country: 'DE' },
      account: { id: 'ACC-EU', name: 'EU account', invoiceCurrency: 'EUR', netTermDays: 30 },
    },
  ],
};

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver answering the queued statuses in turn (200 once the queue is empty). */
async function receiver(
  statuses: number[],
): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/togai`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function header(h: IncomingHttpHeaders, name: string): string {
  const v = h[name.toLowerCase()];
  assert.equal(typeof v, 'string', `header ${name}`);
  return v as string;
}

describe('simulators/togai API behaviour', function () {
  let contract: OpenApiContract;
  const started: RunningTogaiSimulator[] = [];

  async function start(options: TogaiSimulatorOptions = {}) {
    const running = await startTogaiSimulator({ apiToken: TOKEN, rateLimitPerSecond: 1000, ...options });
    started.push(running);
    return { running, call: caller(contract, () => running.url), admin: new AdminClient(running.url) };
  }

  before(async () => {
    contract = await loadTogaiContract();
  });
  afterEach(async () => {
    for (const r of started.splice(0)) {
      assert.deepEqual(r.sim.violations, [], 'every response matched the official schema');
      await r.close();
    }
  });

  it('authenticates with the API token or a 24 h JWT from POST /authenticate; 401 {message} otherwise', async () => {
    const { running, call } = await start();
    const issued = obj((await call('POST', '/authenticate')).body);
    const jwt = String(issued['token']);
    assert.equal(jwt.split('.').length, 3);
    assert.equal((await call('GET', '/customers', { token: jwt })).status, 200);
    const again = await call('POST', '/authenticate', { token: jwt });
    assert.deepEqual(again.body, { token: jwt }, 'with a JWT, the same JWT comes back');

    assertTogaiError(await call('GET', '/customers', { token: null }), 401);
    assertTogaiError(await call('GET', '/customers', { token: 'wrong-token' }), 401);
    assertTogaiError(await call('POST', '/authenticate', { token: 'wrong-token' }), 401);
    const [h, c] = jwt.split('.');
    assertTogaiError(await call('GET', '/customers', { token: `${h}.${c}.AAAA` }), 401);
    assertTogaiError(
      await call('GET', '/customers', { headers: { Authorization: `Basic ${TOKEN}` }, token: null }),
      401,
    );

    running.sim.clock.advance(DAY);
    assertTogaiError(await call('GET', '/customers', { token: jwt }), 401);
    assert.equal((await call('GET', '/customers')).status, 200, 'the API token does not expire');
  });

  it('rate limits at the configured requests per second (ingestion apart) with 429 {message}', async () => {
    const T0 = Date.parse('2026-03-01T10:00:00.000Z');
    const clock = new SimClock(() => T0); // frozen: only `advance` moves time, so windows are exact
    const { running, call, admin } = await start({
      clock,
      rateLimitPerSecond: 3,
      ingestRateLimitPerSecond: 2,
    });
    for (let i = 0; i < 3; i++) assert.equal((await call('GET', '/customers')).status, 200);
    assertTogaiError(await call('GET', '/accounts'), 429);
    const event = {
      schemaName: 's',
      timestamp: '2026-03-01T10:00:00Z',
      accountId: 'A',
      attributes: [],
      dimensions: {},
    };
    assert.equal(
      (await call('POST', '/ingest', { body: { event } })).status,
      202,
      'ingestion has its own budget',
    );
    assert.equal((await call('POST', '/ingest', { body: { event } })).status, 202);
    assertTogaiError(await call('POST', '/ingest', { body: { event } }), 429);
    running.sim.clock.advance(1000);
    assert.equal((await call('GET', '/customers')).status, 200, 'a new second, a new budget');
    assert.deepEqual(await admin.refusals(), { rate: 2, total: 2 });

    const res = await fetch(`${running.url}/__admin/rate-limit`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ requestsPerSecond: 1 }),
    });
    assert.equal(res.status, 200);
    assert.equal((await call('GET', '/customers')).status, 200);
    assertTogaiError(await call('GET', '/customers'), 429);
  });

  it('injects faults per route through the admin API, answered in Togai error shape', async () => {
    const { running, call, admin } = await start({
      faults: [{ method: 'GET', path: '/usage_meters', errorRate: 1, times: 1 }],
    });
    assertTogaiError(await call('GET', '/usage_meters'), 500);
    assert.equal((await call('GET', '/usage_meters')).status, 200, 'the env/option rule was used up');

    await admin.setFaults([{ method: 'POST', path: '/customers', commitThenFailRate: 1, times: 1 }]);
    const body = { id: 'CUST-CTF', name: 'Committed', primaryEmail: 'c@example.com', address: {} };
    assertTogaiError(await call('POST', '/customers', { body }), 500);
    assert.equal(
      (await call('GET', '/customers/CUST-CTF')).status,
      200,
      'the object exists despite the error',
    );
    assertTogaiError(await call('POST', '/customers', { body }), 409);

    await admin.setFaults([{ path: '/accounts*', burst429: 2 }]);
    assertTogaiError(await call('GET', '/accounts'), 429);
    assertTogaiError(await call('GET', '/accounts/ACC-1'), 429);
    assert.equal((await call('GET', '/accounts')).status, 200);

    await admin.setFaults([{ path: '/invoices', errorRate: 1, errorStatus: 503 }]);
    assertTogaiError(await call('GET', '/invoices'), 503);

    // Transport faults: a reset, a hang (the client's timeout ends it), a body cut mid-way.
    const get = (path: string, timeoutMs = 5000) =>
      fetch(`${running.url}${path}`, {
        headers: { Authorization: `Bearer ${TOKEN}` },
        signal: AbortSignal.timeout(timeoutMs),
      }).then((r) => r.text());
    await admin.setFaults([{ path: '/customers', resetRate: 1, times: 1 }]);
    await assert.rejects(get('/customers'));
    await admin.setFaults([{ path: '/customers', hangRate: 1, times: 1 }]);
    await assert.rejects(get('/customers', 200), { name: 'TimeoutError' });
    await admin.setFaults([
      { method: 'POST', path: '/customers', commitThenFailRate: 1, commitThenFailMode: 'cut', times: 1 },
    ]);
    const cut = fetch(`${running.url}/customers`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...body, id: 'CUST-CUT' }),
    }).then((r) => r.text());
    await assert.rejects(cut);
    assert.equal(
      (await call('GET', '/customers/CUST-CUT')).status,
      200,
      'created, though the answer was cut',
    );
    await admin.setFaults([{ path: '/customers', latencyMs: 5, jitterMs: 5, times: 1 }]);
    assert.equal((await call('GET', '/customers')).status, 200);
    assert.deepEqual(obj(await (await fetch(`${running.url}/__admin/faults`)).json())['injected'], {
      latency: 1,
    });
  });

  it('ingested usage accrues on the DRAFT invoice; closing the cycle yields DUE invoices with exact USD and EUR amounts', async () => {
    const clock = new SimClock(() => Date.parse('2026-03-01T10:00:00.000Z')); // frozen: exact dates
    const { running, call } = await start({ seed: BILLING_SEED, clock });
    const events = ['ACC-US', 'ACC-EU'].flatMap((accountId) => [
      ...[1, 2, 3].map((n) => ({
        schemaName: 'call',
        id: `${accountId}-call-${n}`,
        timestamp: '2026-03-01T10:00:00Z',
        accountId,
        attributes: [],
        dimensions: {},
      })),
      ...['1000.5', '233.5'].map((mb, n) => ({
        schemaName: 'transfer',
        id: `${accountId}-transfer-${n}`,
        timestamp: '2026-03-01T10:00:00Z',
        accountId,
        attributes: [{ name: 'mb', value: mb, unit: 'MB' }],
        dimensions: {},
      })),
    ]);
    assert.equal((await call('POST', '/ingestBatch', { body: { events } })).status, 202);
    // A retried event (same id) is acknowledged and not counted twice.
    assert.equal((await call('POST', '/ingest', { body: { event: events[0] } })).status, 202);

    const drafts = obj((await call('GET', '/invoices?owner_id=ACC-US&status=DRAFT')).body);
    const draftSummary = obj(arr(drafts['data'])[0]);
    assert.equal(arr(drafts['data']).length, 1);
    const draft = await call('GET', `/invoices/${String(draftSummary['id'])}`);
    assert.equal(obj(draft.body)['status'], 'DRAFT');
    assert.match(draft.text, /"totalAmount":123\.66[,}]/, '3 × 0.07 + 123.45 so far');
    assert.equal('generatedAt' in obj(draft.body), false);

    running.sim.clock.advance(DAY);
    const closeRes = await fetch(`${running.url}/__admin/close-cycle`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ accountId: 'ACC-US' }),
    });
    assert.equal(closeRes.status, 200);
    running.sim.closeCycle('ACC-EU');

    const dueList = obj((await call('GET', '/invoices?status=DUE')).body);
    const due = arr(dueList['data']).map(obj);
    assert.deepEqual(due.map((i) => i['ownerId']).sort(), ['ACC-EU', 'ACC-US']);

    const us = await call('GET', `/invoices/${String(draftSummary['id'])}`);
    const usBody = obj(us.body);
    assert.equal(usBody['status'], 'DUE');
    assert.equal(usBody['finalizingStatus'], 'FINALIZED');
    assert.equal(usBody['generatedAt'], '2026-03-02T10:00:00.000Z');
    assert.match(us.text, /"totalAmount":123\.66[,}]/);
    assert.equal(String(usBody['totalAmount']), '123.66');

    // The revenue tree of the spec's example; children under metadata.lineItems (see invoices.ts).
    const kids = (line: Record<string, unknown>) => arr(obj(line['metadata'])['lineItems']).map(obj);
    const grand = obj(usBody['revenueInfo']);
    assert.equal(grand['type'], 'GRAND_TOTAL_AMOUNT');
    const gross = kids(obj(kids(obj(kids(grand)[0]))[0]))[0];
    assert.ok(gross);
    assert.equal(gross['type'], 'GROSS_AMOUNT');
    const cards = kids(gross);
    assert.deepEqual(
      cards.map((l) => [l['type'], l['id'], l['quantity'], l['valuePerQuantity'], l['value'], l['units']]),
      [
        ['USAGE_RATE_CARD_AMOUNT', 'um.calls', 3, 0.07, 0.21, 'USD'],
        ['USAGE_RATE_CARD_AMOUNT', 'um.data', 1234, undefined, 123.45, 'USD'],
      ],
    );
    assert.deepEqual(
      kids(cards[1] ?? {}).map((l) => [l['description'], l['quantity'], l['valuePerQuantity'], l['value']]),
      [
        ['Slab 1', 100, undefined, 15.9],
        ['Slab 2', 900, 0.1, 90],
        ['Slab 3', 234, 0.075, 17.55],
      ],
    );
    assert.deepEqual(
      arr(usBody['usageInfo']).map((l) => [obj(l)['id'], obj(l)['value']]),
      [
        ['um.calls', 3],
        ['um.data', 1234],
      ],
    );

    const euSummary = due.find((i) => i['ownerId'] === 'ACC-EU');
    assert.ok(euSummary);
    const eu = await call('GET', `/invoices/${String(euSummary['id'])}`);
    // 3 × 0.065 + (14.50 + 900 × 0.09 + 234 × 0.065) = 0.195 + 110.71
    assert.match(eu.text, /"totalAmount":110\.905[,}]/);
    const euBody = obj(eu.body);
    assert.equal(obj(euBody['revenueInfo'])['units'], 'EUR');
    assert.equal(Date.parse(String(euBody['dueDate'])) - Date.parse(String(euBody['generatedAt'])), 30 * DAY);

    // Filters: by customer, and by invoice date in epoch milliseconds.
    const byCustomer = obj((await call('GET', '/invoices?customer_id=CUST-EU&status=DUE')).body);
    assert.deepEqual(
      arr(byCustomer['data']).map((i) => obj(i)['id']),
      [euSummary['id']],
    );
    const now = running.sim.clock.now();
    const inWindow = obj(
      (await call('GET', `/invoices?status=DUE&start_time=${now - 1000}&end_time=${now + 1000}`)).body,
    );
    assert.equal(arr(inWindow['data']).length, 2);
    const before = obj((await call('GET', `/invoices?status=DUE&end_time=${now - DAY}`)).body);
    assert.deepEqual(before['data'], []);

    // New usage goes to the next DRAFT; the DUE invoice stays as generated.
    const late = { ...events[0], id: 'late-call' };
    await call('POST', '/ingest', { body: { event: late } });
    assert.equal((await call('GET', `/invoices/${String(draftSummary['id'])}`)).text, us.text);
    const next = obj((await call('GET', '/invoices?owner_id=ACC-US&status=DRAFT')).body);
    const nextDraft = obj((await call('GET', `/invoices/${String(obj(arr(next['data'])[0])['id'])}`)).body);
    assert.equal(nextDraft['totalAmount'], 0.07);
    assert.equal(nextDraft['startDate'], usBody['endDate']);
  });

  it('pages lists with nextToken and exposes usage meter settings by entity', async () => {
    const customers = Array.from({ length: 5 }, (_, i) => ({
      id: `CUST-${i}`,
      name: `Customer ${i}`,
      primaryEmail: `c${i}@example.com`,
      address: {},
    }));
    const { call } = await start({ seed: { ...BILLING_SEED, customers } });
    const seen: unknown[] = [];
    let path = '/customers?pageSize=2';
    for (let page = 0; page < 10; page++) {
      const body = obj((await call('GET', path)).body);
      seen.push(...arr(body['data']).map((c) => obj(c)['id']));
      if (typeof body['nextToken'] !== 'string') break;
      path = `/customers?nextToken=${encodeURIComponent(body['nextToken'])}`;
    }
    assert.deepEqual(seen, ['CUST-0', 'CUST-1', 'CUST-2', 'CUST-3', 'CUST-4']);

    const settings = obj((await call('GET', '/settings?entity_type=USAGE_METER&entity_id=um.data')).body);
    assert.deepEqual(
      arr(settings['data']).map((s) => [obj(s)['id'], obj(s)['value']]),
      [['zuora_charge_id', 'C-42']],
    );
    const one = await call('GET', '/settings/setting.USER.zuora_charge_id.USAGE_METER.um.data');
    assert.equal(obj(one.body)['value'], 'C-42');
  });

  it('delivers account.created and invoice.generated webhooks, signed, retried with backoff until 2xx', async () => {
    const secret = 'whsec_test_0123456789';
    const hooks = await receiver([500, 503]);
    const invoicesOnly = await receiver([]);
    try {
      const { running, call, admin } = await start({
        clock: new SimClock(() => Date.parse('2026-03-01T10:00:00.000Z')), // frozen: retries only on advance
        webhooks: [
          { url: hooks.url, secret, events: ['account.created'] },
          { url: invoicesOnly.url, secret: 'other-secret', events: ['invoice.generated'] },
        ],
      });
      const { sim } = running;
      const created = await call('POST', '/customers', {
        body: {
          id: 'CUST-W',
          name: 'Webhook customer',
          primaryEmail: 'w@example.com',
          address: {},
          account: { id: 'ACC-W', name: 'Webhook account' },
        },
      });
      assert.equal(created.status, 201);
      await sim.webhooks.settled();
      assert.equal(hooks.received.length, 1);
      sim.clock.advance(1000); // first retry after 1 s (simulated)
      await sim.webhooks.settled();
      assert.equal(hooks.received.length, 2);
      sim.clock.advance(1999);
      await sim.webhooks.settled();
      assert.equal(hooks.received.length, 2, 'the second retry waits 2 s');
      sim.clock.advance(1);
      await sim.webhooks.settled();
      assert.equal(hooks.received.length, 3);

      const [first, , last] = hooks.received;
      assert.ok(first && last);
      assert.equal(last.body, first.body, 'the same event body on every attempt');
      assert.deepEqual(
        hooks.received.map((r) => header(r.headers, 'Togai-Delivery-Attempt')),
        ['1', '2', '3'],
      );
      const payload = obj(JSON.parse(last.body));
      assert.equal(header(last.headers, 'Togai-Event-Id'), payload['eventId']);
      assert.equal(header(first.headers, 'Togai-Event-Id'), payload['eventId']);
      assert.equal(payload['eventType'], 'account.created');
      assert.equal(payload['entityId'], 'ACC-W');
      assert.deepEqual(payload['entity'], (await call('GET', '/accounts/ACC-W')).body);

      // The documented signature, recomputed here from scratch: hex HMAC-SHA256 of "<t>.<body>".
      const sig = header(last.headers, 'Togai-Signature');
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(sig);
      assert.ok(m, sig);
      const t = m[1] ?? '';
      assert.equal(m[2], createHmac('sha256', secret).update(`${t}.${last.body}`).digest('hex'));
      const nowS = Math.floor(Date.now() / 1000);
      assert.equal(verifyTogaiSignature(secret, last.body, sig, nowS), true);
      assert.equal(verifyTogaiSignature('wrong', last.body, sig, nowS), false);
      assert.equal(verifyTogaiSignature(secret, last.body.replace('ACC-W', 'ACC-X'), sig, nowS), false);
      assert.equal(verifyTogaiSignature(secret, last.body, sig, nowS + 3600), false, 'stale');

      const log = await admin.deliveries();
      assert.deepEqual(
        log.deliveries.map((d) => [d.event, d.attempts, d.state]),
        [['account.created', 3, 'delivered']],
      );
      assert.deepEqual(
        log.attempts.map((a) => a.status),
        [500, 503, 200],
      );

      // Accounts made through the admin seed fire too; invoice.generated goes to its own target.
      await admin.seed({ accounts: [{ id: 'ACC-W2', name: 'Seeded account', customerId: 'CUST-W' }] });
      const res = await fetch(`${running.url}/__admin/close-cycle`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ accountId: 'ACC-W' }),
      });
      const invoice = obj(arr(obj(await res.json())['invoices'])[0]);
      await sim.webhooks.settled();
      assert.equal(hooks.received.length, 4);
      assert.equal(obj(JSON.parse(hooks.received[3]?.body ?? '{}'))['entityId'], 'ACC-W2');
      assert.equal(invoicesOnly.received.length, 1);
      const generated = invoicesOnly.received[0];
      assert.ok(generated);
      const invoicePayload = obj(JSON.parse(generated.body));
      assert.equal(invoicePayload['eventType'], 'invoice.generated');
      assert.equal(invoicePayload['entityId'], invoice['id']);
      assert.deepEqual(
        invoicePayload['entity'],
        (await call('GET', `/invoices/${String(invoice['id'])}`)).body,
      );
      assert.ok(
        verifyTogaiSignature(
          'other-secret',
          generated.body,
          header(generated.headers, 'Togai-Signature'),
          nowS,
        ),
      );
    } finally {
      await hooks.close();
      await invoicesOnly.close();
    }
  });

  it('gives a delivery up after the configured attempts', async () => {
    const hooks = await receiver([500, 500, 500]);
    try {
      const { running, admin } = await start({
        clock: new SimClock(() => Date.parse('2026-03-01T10:00:00.000Z')),
        webhooks: [{ url: hooks.url, secret: 's' }],
        webhookRetry: { maxAttempts: 2 },
      });
      await admin.seed({
        customers: [
          { id: 'C', name: 'Cust', primaryEmail: 'c@x.io', address: {}, account: { id: 'A', name: 'Acc' } },
        ],
      });
      await running.sim.webhooks.settled();
      running.sim.clock.advance(1000);
      await running.sim.webhooks.settled();
      running.sim.clock.advance(60_000);
      await running.sim.webhooks.settled();
      assert.equal(hooks.received.length, 2);
      assert.deepEqual(
        (await admin.deliveries()).deliveries.map((d) => d.state),
        ['failed'],
      );
    } finally {
      await hooks.close();
    }
  });

  it('admin API: seeds (checked against the official schema), shows state, resets, closes cycles', async () => {
    const { running, call, admin } = await start({ seed: BILLING_SEED });
    await assert.rejects(
      admin.seed({ customers: [{ id: 'C-NOADDR', name: 'No address', primaryEmail: 'a@b.c' }] }),
      /400/,
    );
    await assert.rejects(admin.seed({ defaultPricePlanId: 'pp.nope' }), /400/);
    await assert.rejects(
      admin.seed({ customers: [{ id: 'CUST-US', name: 'Dup', primaryEmail: 'a@b.c', address: {} }] }),
      /400/,
    );
    await admin.seed({
      settings: [
        {
          id: 'x',
          value: '1',
          entityType: 'PRICE_PLAN',
          entityId: 'pp.usage',
          namespace: 'USER',
          name: 'X',
          dataType: 'NUMERIC',
        },
      ],
    });
    const state = obj(await admin.state());
    assert.deepEqual(
      arr(state['accounts']).map((a) => obj(a)['id']),
      ['ACC-US', 'ACC-EU'],
    );
    assert.equal(arr(state['settings']).length, 2);
    assert.equal(arr(state['invoices']).length, 2, 'one DRAFT per account');

    const missing = await fetch(`${running.url}/__admin/close-cycle`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ accountId: 'NOPE' }),
    });
    assert.equal(missing.status, 404);
    const all = await fetch(`${running.url}/__admin/close-cycle`, { method: 'POST' });
    assert.equal(arr(obj(await all.json())['invoices']).length, 2);

    await call('POST', '/customers', {
      body: { id: 'CUST-NEW', name: 'New one', primaryEmail: 'n@x.io', address: {} },
    });
    await admin.reset();
    const after = obj(await admin.state());
    assert.deepEqual(
      arr(after['customers']).map((c) => obj(c)['id']),
      ['CUST-US', 'CUST-EU'],
      'back to the seed of the options',
    );
    assert.deepEqual(
      arr(after['invoices']).map((i) => obj(i)['status']),
      ['DRAFT', 'DRAFT'],
    );
  });

  it('npm run sim:togai entry point: starts from the environment and prints its URL and token', async function () {
    const main = fileURLToPath(new URL('../../src/togai/main.js', import.meta.url));
    const child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        TOGAI_SIM_PORT: '0',
        TOGAI_SIM_API_TOKEN: 'main-test-token',
        LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const out = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout.on('data', (b: Buffer) => {
          text += b.toString('utf8');
          if (/API token: .+\n/.test(text)) resolve(text);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${text}`)));
      });
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      assert.ok(url, out);
      assert.match(out, /API token: main-test-token/);
      const res = await fetch(`${url}/usage_meters`, {
        headers: { Authorization: 'Bearer main-test-token' },
      });
      assert.equal(res.status, 200);
      const meters = arr(obj(await res.json())['data']);
      assert.ok(meters.length > 0, 'the demo seed is loaded');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
