import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdminClient } from '../../src/common/admin.js';
import { zuoraOptionsFromEnv } from '../../src/zuora/index.js';
import { eventually, startTestSimulator, type ZuoraTestClient } from './helpers.js';

const ACCOUNT = {
  name: 'Callout Co',
  currency: 'USD',
  billToContact: { firstName: 'Alan', lastName: 'Turing' },
};

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A callout receiver answering with a scripted sequence of statuses (200 once the script ends). */
async function receiver(): Promise<{ url: string; received: Received[]; answers: number[]; close(): void }> {
  const received: Received[] = [];
  const answers: number[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = answers.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/zuora/callout`,
    received,
    answers,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

describe('Zuora simulator: callouts and admin API', function () {
  this.timeout(30_000);
  let z: ZuoraTestClient;
  let admin: AdminClient;
  let hook: Awaited<ReturnType<typeof receiver>>;

  beforeEach(async () => {
    hook = await receiver();
  });
  afterEach(async () => {
    hook.close();
    await z?.sim.close();
  });

  it('account creation fires a signed, authenticated callout; retried 30 min apart until a 200', async () => {
    z = await startTestSimulator({
      callout: {
        url: hook.url,
        basicAuth: { username: 'zuora', password: 'callout-password' },
        signature: { algorithm: 'sha256', secret: 'hmac-secret', header: 'X-Signature', encoding: 'base64' },
      },
    });
    admin = new AdminClient(z.url);
    hook.answers.push(500, 503);
    const created = await z.conforming('POST', '/v1/accounts', { body: ACCOUNT });
    const accountId = (created.body as { accountId: string }).accountId;
    // Each attempt is settled (its answer seen, its retry scheduled) before the clock moves.
    await eventually(() => hook.received.length === 1);
    await z.sim.sim.webhooks.settled();
    await admin.advanceClock(29 * 60_000);
    await z.sim.sim.webhooks.settled();
    assert.equal(hook.received.length, 1, 'no retry before the interval');
    await admin.advanceClock(60_000);
    await eventually(() => hook.received.length === 2);
    await z.sim.sim.webhooks.settled();
    await admin.advanceClock(30 * 60_000);
    await eventually(() => hook.received.length === 3);

    const body = JSON.stringify({ AccountId: accountId });
    for (const r of hook.received) {
      assert.equal(r.body, body);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(
        r.headers['authorization'],
        `Basic ${Buffer.from('zuora:callout-password').toString('base64')}`,
      );
      assert.equal(
        r.headers['x-signature'],
        createHmac('sha256', 'hmac-secret').update(body).digest('base64'),
      );
    }
    const notificationIds = new Set(hook.received.map((r) => r.headers['zuora-notification-id']));
    const requestIds = new Set(hook.received.map((r) => r.headers['zuora-request-id']));
    assert.equal(notificationIds.size, 1, 'Zuora-Notification-Id is stable across attempts');
    assert.equal(requestIds.size, 3, 'Zuora-Request-Id is fresh per attempt');

    await z.sim.sim.webhooks.settled();
    const log = await admin.deliveries();
    assert.deepEqual(
      log.attempts.map((a) => [a.attempt, a.status, a.delivered]),
      [
        [1, 500, false],
        [2, 503, false],
        [3, 200, true],
      ],
    );
    assert.equal(log.attempts[0]?.requestHeaders['Authorization'], '[redacted]');
    assert.deepEqual(
      log.deliveries.map((d) => [d.event, d.state, d.attempts]),
      [['AccountCreated', 'delivered', 3]],
    );
  });

  it('gives up after the configured attempts; a 201 is a failed, non-retried delivery', async () => {
    z = await startTestSimulator({
      callout: { url: hook.url, attempts: 2, intervalMs: 1000 },
      tokenTtlSeconds: 86_400,
    });
    admin = new AdminClient(z.url);
    hook.answers.push(503, 503, 503);
    await z.conforming('POST', '/v1/accounts', { body: ACCOUNT });
    await eventually(() => hook.received.length === 1);
    await z.sim.sim.webhooks.settled();
    await admin.advanceClock(1000);
    await eventually(() => hook.received.length === 2);
    await z.sim.sim.webhooks.settled();
    await admin.advanceClock(60 * 60_000);
    await z.sim.sim.webhooks.settled();
    assert.equal(hook.received.length, 2);
    assert.equal((await admin.deliveries()).deliveries[0]?.state, 'failed');

    hook.answers.length = 0;
    hook.answers.push(201); // only a 200 is a delivery, and a 201 is not retried either
    await z.conforming('POST', '/v1/accounts', { body: ACCOUNT });
    await eventually(() => hook.received.length === 3);
    await z.sim.sim.webhooks.settled();
    const second = (await admin.deliveries()).deliveries[1];
    assert.deepEqual([second?.state, second?.attempts], ['failed', 1]);
  });

  it('an account created through the admin "UI" endpoint fires the callout too; seeds do not', async () => {
    z = await startTestSimulator({ callout: { url: hook.url } });
    admin = new AdminClient(z.url);
    const res = await fetch(`${z.url}/__admin/ui/accounts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...ACCOUNT, TogaiAccountId__c: 'from-ui' }),
    });
    assert.equal(res.status, 200);
    const { accountId, notificationId } = (await res.json()) as { accountId: string; notificationId: string };
    await eventually(() => hook.received.length === 1);
    assert.equal(hook.received[0]?.body, JSON.stringify({ AccountId: accountId }));
    assert.equal(hook.received[0]?.headers['zuora-notification-id'], notificationId);
    await admin.seed({ accounts: [{ name: 'Seeded later', accountNumber: 'A-SEED-2' }] });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(hook.received.length, 1);
    const bad = await fetch(`${z.url}/__admin/ui/accounts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'no currency' }),
    });
    assert.equal(bad.status, 400);
  });

  it('the callout can be configured at run time; state, reset and seed through the admin API', async () => {
    z = await startTestSimulator();
    admin = new AdminClient(z.url);
    await z.conforming('POST', '/v1/accounts', { body: ACCOUNT });
    assert.equal(hook.received.length, 0, 'no callout configured');
    const put = await fetch(`${z.url}/__admin/callout`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ url: hook.url }),
    });
    assert.equal(put.status, 200);
    await z.conforming('POST', '/v1/accounts', { body: ACCOUNT });
    await eventually(() => hook.received.length === 1);

    const state = (await admin.state()) as { accounts: unknown[]; subscriptions: unknown[]; tokens: number };
    assert.equal(state.accounts.length, 3);
    assert.equal(state.subscriptions.length, 1);
    assert.equal(typeof state.tokens, 'number', 'only a count: tokens are secrets');
    await admin.reset();
    const after = (await admin.state()) as { accounts: { accountNumber: string }[] };
    assert.deepEqual(
      after.accounts.map((a) => a.accountNumber),
      ['A-SEED-1'],
    );
    const badSeed = await fetch(`${z.url}/__admin/seed`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ subscriptions: [{ subscriptionNumber: 'S-9' }] }),
    });
    assert.equal(badSeed.status, 400);
  });

  it('injected faults answer in Zuora shapes: 5xx ErrorResponse, reset, hang', async () => {
    z = await startTestSimulator();
    admin = new AdminClient(z.url);
    await z.fetchToken();
    await admin.setFaults([
      { method: 'GET', path: '/v1/accounts/*', errorRate: 1, errorStatus: 503, times: 1 },
    ]);
    const unavailable = await z.call('GET', '/v1/accounts/A-SEED-1');
    assert.equal(unavailable.status, 503);
    assert.match((unavailable.body as { reasons: { code: string }[] }).reasons[0]?.code ?? '', /60$/);
    await admin.setFaults([{ method: 'GET', path: '/v1/subscriptions/*', resetRate: 1 }]);
    await assert.rejects(z.call('GET', '/v1/subscriptions/S-0001'), TypeError);
    await admin.setFaults([{ method: 'GET', path: '/v1/subscriptions/*', hangRate: 1 }]);
    const token = await z.fetchToken();
    await assert.rejects(
      fetch(`${z.url}/v1/subscriptions/S-0001`, {
        headers: { Authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(200),
      }),
      (e: Error) => e.name === 'TimeoutError',
    );
    await admin.clearFaults();
    assert.equal((await z.conforming('GET', '/v1/subscriptions/S-0001')).status, 200);
  });

  it('main: options from the environment', () => {
    const { options, port, host } = zuoraOptionsFromEnv({
      ZUORA_SIM_PORT: '0',
      ZUORA_SIM_CLIENT_ID: '11111111-2222-4333-8444-555555555555',
      ZUORA_SIM_CLIENT_SECRET: 's3cret',
      ZUORA_SIM_RATE_LIMIT_PER_MINUTE: '100',
      ZUORA_SIM_CALLOUT_URL: 'http://127.0.0.1:9/hook',
      ZUORA_SIM_CALLOUT_USERNAME: 'u',
      ZUORA_SIM_CALLOUT_PASSWORD: 'p',
      ZUORA_SIM_CALLOUT_HMAC_SECRET: 'k',
      ZUORA_SIM_FAULTS: '[{"path":"/v1/*","latencyMs":5}]',
    });
    assert.equal(port, 0);
    assert.equal(host, '127.0.0.1');
    assert.equal(options.rateLimitPerMinute, 100);
    assert.deepEqual(options.clients, [
      { clientId: '11111111-2222-4333-8444-555555555555', clientSecret: 's3cret' },
    ]);
    assert.deepEqual(options.callout?.basicAuth, { username: 'u', password: 'p' });
    assert.equal(options.callout?.signature?.header, 'X-Zuora-Signature');
    assert.equal(options.faults?.[0]?.latencyMs, 5);
    assert.throws(() => zuoraOptionsFromEnv({ ZUORA_SIM_CLIENT_ID: 'too-short' }));
  });
});
