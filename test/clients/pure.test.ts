import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import {
  AuthError,
  BusinessError,
  callVendor,
  CredentialCheckError,
  InvalidResponseError,
  NotFoundError,
  RateLimitedError,
  RetryableError,
  toApplicationFailure,
} from '../../src/clients/errors.js';
import { parseRetryAfter, type HttpResponse } from '../../src/clients/http.js';
import { parseJsonLossless, stringifyJson } from '../../src/clients/json.js';
import { LimiterRegistry } from '../../src/clients/limits.js';
import { classifyTogaiResponse } from '../../src/clients/togai/classify.js';
import { classifyZuoraResponse } from '../../src/clients/zuora/classify.js';
import { ZuoraTokenProvider } from '../../src/clients/zuora/oauth.js';
import {
  buildIdempotencyKey,
  IDEMPOTENCY_KEY_MAX_LENGTH,
  bodyDigest,
  canonicalJson,
  legacyUsageKeyPrefix,
  sha256Hex,
  usageCreateIdempotencyKey,
  usageRecordKey,
  usageRecordKeyPrefix,
  zuoraAccountCreateKey,
  zuoraInvoiceCreateKey,
  zuoraUsageCreateKey,
} from '../../src/shared/idempotency.js';
import * as money from '../../src/shared/money.js';
import { decimalSchema } from '../../src/clients/decimal.js';

function res(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { status, body, headers, bodyUnparseable: false };
}

describe('clients: pure parts', () => {
  describe('money', () => {
    it('adds exactly where floats do not', () => {
      assert.equal(0.1 + 0.2 === 0.3, false);
      assert.equal(money.sum(['0.1', '0.2']), '0.3');
      assert.equal(money.sum(['881.94', '-0.94', '0.001']), '881.001');
      assert.equal(money.sum([]), '0');
      assert.equal(money.add('99999999999999999.99', '0.01'), '100000000000000000');
      assert.equal(money.multiply('0.001', '32109'), '32.109');
      assert.equal(money.subtract('1', '1.000'), '0');
    });

    it('compares values, not spellings', () => {
      assert.equal(money.compare('1.50', '1.5'), 0);
      assert.equal(money.compare('-0', '0'), 0);
      assert.equal(money.compare('10', '9.999'), 1);
      assert.equal(money.compare('2e2', '201'), -1);
      assert.ok(money.equals('100', '1e2'));
      assert.ok(money.isZero('0.000'));
      assert.equal(money.normalize('-0.00'), '0');
      assert.equal(money.normalize('1.2300'), '1.23');
      assert.equal(money.negate('5.5'), '-5.5');
    });

    it('knows currency minor units and rounds half-up to them', () => {
      assert.equal(money.minorUnits('USD'), 2);
      assert.equal(money.minorUnits('jpy'), 0);
      assert.equal(money.minorUnits('BHD'), 3);
      assert.equal(money.roundToCurrency('2.345', 'USD'), '2.35');
      assert.equal(money.roundToCurrency('2.5', 'JPY'), '3');
      assert.equal(money.roundToCurrency('-2.345', 'USD'), '-2.35');
      assert.equal(money.formatMoney('12.3', 'usd'), '12.30 USD');
      assert.equal(money.formatMoney('1', 'BHD'), '1.000 BHD');
      assert.equal(money.toMinorUnits('12.34', 'USD'), '1234');
      assert.equal(money.fromMinorUnits('1234', 'USD'), '12.34');
      assert.equal(money.fromMinorUnits(500, 'JPY'), '500');
      assert.throws(() => money.toMinorUnits('12.345', 'USD'), /more decimals than USD allows/);
      assert.throws(() => money.minorUnits('dollars'), RangeError);
    });

    it('refuses what is not an exact decimal', () => {
      assert.throws(() => money.toDecimal('12,5'), money.InvalidDecimalError);
      assert.throws(() => money.toDecimal('NaN'), money.InvalidDecimalError);
      assert.throws(
        () => money.toDecimal(0.1),
        money.InvalidDecimalError,
        'a fractional float is already inexact',
      );
      assert.equal(money.normalize(42), '42');
      assert.equal(decimalSchema.parse('0.10'), '0.1');
      assert.equal(decimalSchema.parse(7), '7');
      assert.equal(decimalSchema.safeParse('ten').success, false);
    });
  });

  describe('lossless JSON', () => {
    it('keeps every digit of fractional and huge numbers, and leaves strings alone', () => {
      const parsed = parseJsonLossless(
        '{"amount":881.94,"tiny":0.10000000000000000001,"big":12345678901234567890,' +
          '"n":-3,"e":1.5E+3,"s":"12.5 \\"quoted 3.14\\"","list":[1,2.50],"ok":true,"none":null}',
      );
      assert.deepEqual(parsed, {
        amount: '881.94',
        tiny: '0.10000000000000000001',
        big: '12345678901234567890',
        n: -3,
        e: '1.5E+3',
        s: '12.5 "quoted 3.14"',
        list: [1, '2.50'],
        ok: true,
        none: null,
      });
    });

    it('writes decimals as bare JSON numbers with all their digits', () => {
      const text = stringifyJson({
        amount: new money.Decimal('0.10000000000000000001'),
        items: [{ q: new money.Decimal('-12.50') }],
        label: '0.1',
      });
      assert.equal(text, '{"amount":0.10000000000000000001,"items":[{"q":-12.5}],"label":"0.1"}');
      assert.deepEqual(parseJsonLossless(text), {
        amount: '0.10000000000000000001',
        items: [{ q: '-12.5' }],
        label: '0.1',
      });
    });
  });

  describe('idempotency keys', () => {
    it('are deterministic, readable and distinct per connection, operation and source', () => {
      const a = zuoraAccountCreateKey('conn-1', 'ACC-1');
      assert.equal(a, zuoraAccountCreateKey('conn-1', 'ACC-1'));
      assert.equal(a, 'tzs1:zuora.account.create:conn-1:ACC-1');
      const keys = new Set([
        a,
        zuoraAccountCreateKey('conn-2', 'ACC-1'),
        zuoraAccountCreateKey('conn-1', 'ACC-2'),
        zuoraInvoiceCreateKey('conn-1', 'ACC-1'),
        zuoraUsageCreateKey('conn-1', 'inv-1', 'line-1'),
        zuoraUsageCreateKey('conn-1', 'inv-1', 'line-2'),
        // Separators inside parts are escaped: these two must not collide.
        buildIdempotencyKey({ connectionId: 'c', operation: 'op', source: ['a:b', 'c'] }),
        buildIdempotencyKey({ connectionId: 'c', operation: 'op', source: ['a', 'b:c'] }),
      ]);
      assert.equal(keys.size, 8);
    });

    it('hash long inputs to at most 255 characters, still unique and deterministic', () => {
      const long1 = buildIdempotencyKey({ connectionId: 'c1', operation: 'op', source: ['x'.repeat(300)] });
      const long2 = buildIdempotencyKey({
        connectionId: 'c1',
        operation: 'op',
        source: ['x'.repeat(299) + 'y'],
      });
      assert.ok(long1.length <= IDEMPOTENCY_KEY_MAX_LENGTH);
      assert.notEqual(long1, long2);
      assert.match(long1, /^tzs1:op:c1:h:[0-9a-f]{64}$/);
      assert.equal(
        long1,
        buildIdempotencyKey({ connectionId: 'c1', operation: 'op', source: ['x'.repeat(300)] }),
      );
      const hugeConn = buildIdempotencyKey({ connectionId: 'k'.repeat(400), operation: 'op', source: ['s'] });
      assert.ok(hugeConn.length <= IDEMPOTENCY_KEY_MAX_LENGTH);
      const unicode = zuoraAccountCreateKey('c', 'compte-é漢');
      assert.match(unicode, /^[\x21-\x7e]+$/, 'ASCII only');
      assert.throws(() => buildIdempotencyKey({ connectionId: 'c', operation: 'op', source: [] }));
      assert.throws(() => buildIdempotencyKey({ connectionId: '', operation: 'op', source: ['a'] }));
    });

    it('uses a SHA-256 identical to node:crypto (workflow-safe implementation)', () => {
      for (const s of [
        '',
        'abc',
        'a'.repeat(55),
        'a'.repeat(56),
        'a'.repeat(64),
        'x'.repeat(1000),
        'é漢字🎉',
      ]) {
        assert.equal(sha256Hex(s), createHash('sha256').update(s).digest('hex'), `input of ${s.length}`);
      }
    });

    it('usage record keys name the invoice and meter, never the connection; every key of an invoice shares its prefix', () => {
      const key = usageRecordKey('inv.1', 'um.calls');
      assert.equal(key, 'tzs2:usage:inv.1:um.calls');
      assert.ok(key.startsWith(usageRecordKeyPrefix('inv.1')));
      assert.ok(
        !usageRecordKey('inv.10', 'x').startsWith(usageRecordKeyPrefix('inv.1')),
        'prefix ends at a separator',
      );
      const long = usageRecordKey('inv.1', 'm'.repeat(400));
      assert.ok(long.length <= IDEMPOTENCY_KEY_MAX_LENGTH && long.startsWith(usageRecordKeyPrefix('inv.1')));
      assert.ok(
        zuoraUsageCreateKey('conn_1', 'inv.1', 'um.calls').startsWith(
          legacyUsageKeyPrefix('conn_1', 'inv.1'),
        ),
      );
    });

    it('create keys name the body: the same body (any key order) the same key, another body another key', () => {
      assert.equal(
        canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } }),
        '{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}',
      );
      assert.equal(bodyDigest({ a: 1, b: 2 }), bodyDigest({ b: 2, a: 1 }));
      const record = usageRecordKey('inv.1', 'um.gb');
      const tb = usageCreateIdempotencyKey(record, { UOM: 'TB', Quantity: 1 });
      const gb = usageCreateIdempotencyKey(record, { UOM: 'GB', Quantity: 1 });
      assert.notEqual(tb, gb, 'a fixed body is a new request: a stored refusal is never replayed to it');
      assert.equal(gb, usageCreateIdempotencyKey(record, { Quantity: 1, UOM: 'GB' }));
      assert.notEqual(
        zuoraInvoiceCreateKey('c', 'inv', { amount: 1 }),
        zuoraInvoiceCreateKey('c', 'inv', { amount: 2 }),
      );
      assert.notEqual(
        zuoraAccountCreateKey('c', 'a', { name: 'x' }),
        zuoraAccountCreateKey('c', 'a', { name: 'y' }),
      );
    });
  });

  describe('Retry-After', () => {
    it('reads delta-seconds and HTTP dates', () => {
      assert.equal(parseRetryAfter('3'), 3000);
      assert.equal(parseRetryAfter('0.5'), 500);
      assert.equal(parseRetryAfter(['7']), 7000);
      const now = Date.parse('2026-01-01T00:00:00Z');
      assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now), 10_000);
      assert.equal(parseRetryAfter(undefined), undefined);
      assert.equal(parseRetryAfter('soon'), undefined);
    });
  });

  describe('Zuora classification', () => {
    const classify = (r: HttpResponse) => classifyZuoraResponse('op', r);

    it('passes successes', () => {
      assert.equal(classify(res(200, { success: true, accountId: 'a' })), undefined);
      assert.equal(classify(res(200, { Id: 'u', Success: true })), undefined);
      assert.equal(classify(res(200, { data: [] })), undefined);
    });

    it('retries network-class answers: 5xx, 409 in flight, codes ending 50/61/70/99', () => {
      for (const r of [
        res(500, { reasons: [{ code: '50000060', message: 'internal' }] }),
        res(503, undefined),
        res(409, { success: false, reasons: [{ code: '50000050', message: 'in flight' }] }),
        res(200, { success: false, reasons: [{ code: '53100050', message: 'lock contention' }] }),
        res(200, { success: false, reasons: [{ code: '53100061', message: 'temporary' }] }),
        res(200, { success: false, reasons: [{ code: '53100070', message: 'limit exceeded' }] }),
        res(400, { success: false, reasons: [{ code: '53100099', message: 'integration' }] }),
        res(200, { Success: false, Errors: [{ Code: 'LOCK_COMPETITION', Message: 'locked' }] }),
      ]) {
        const e = classify(r);
        assert.ok(e instanceof RetryableError, `${r.status} ${JSON.stringify(r.body)} → ${e?.name}`);
        assert.equal(e.retryable, true);
      }
    });

    it('rate-limits 429 with Retry-After', () => {
      const e = classify(res(429, { message: 'slow down' }, { 'retry-after': '2' }));
      assert.ok(e instanceof RateLimitedError);
      assert.equal(e.retryAfterMs, 2000);
      assert.equal(e.failureType, 'ZuoraRateLimited');
    });

    it('does not retry business and validation errors, and keeps the vendor message', () => {
      const e = classify(
        res(200, {
          success: false,
          reasons: [{ code: '53100020', message: "Invalid value for field 'currency'" }],
        }),
      );
      assert.ok(e instanceof BusinessError);
      assert.equal(e.failureType, 'ZuoraBusinessError');
      assert.equal(e.code, '53100020');
      assert.match(e.message, /Invalid value for field 'currency'/);
      assert.ok(
        classify(res(400, { success: false, errors: [{ code: 'INVALID_VALUE', message: 'bad' }] })) instanceof
          BusinessError,
      );
      assert.ok(
        classify(res(422, { success: false, reasons: [{ message: 'key reused' }] })) instanceof BusinessError,
      );
      assert.ok(classify(res(403, { message: 'no permission' })) instanceof BusinessError);
    });

    it('maps 404 and codes ending in 40 to NotFound, 401 and codes ending in 11 to AuthFailed', () => {
      assert.ok(classify(res(404, { done: true, records: [], size: 0 })) instanceof NotFoundError);
      assert.ok(
        classify(
          res(200, { success: false, reasons: [{ code: '50000040', message: 'Cannot find entity' }] }),
        ) instanceof NotFoundError,
      );
      const auth = classify(res(401, { message: 'Authentication error' }));
      assert.ok(auth instanceof AuthError);
      assert.equal(auth.failureType, 'AuthFailed');
      assert.ok(
        classify(res(200, { success: false, reasons: [{ code: '90000011', message: 'auth' }] })) instanceof
          AuthError,
      );
    });
  });

  describe('Togai classification', () => {
    const classify = (r: HttpResponse) => classifyTogaiResponse('op', r);
    it('maps statuses to the error classes', () => {
      assert.equal(classify(res(201, {})), undefined);
      assert.ok(classify(res(500, { message: 'boom' })) instanceof RetryableError);
      assert.ok(classify(res(503, { message: 'busy' })) instanceof RetryableError);
      const limited = classify(res(429, { message: 'Too many requests' }));
      assert.ok(limited instanceof RateLimitedError);
      assert.equal(limited.retryAfterMs, 1000, 'no Retry-After documented: one rate window');
      const told = classify(res(429, { message: 'Too many requests' }, { 'retry-after': '3' }));
      assert.ok(told instanceof RateLimitedError);
      assert.equal(told.retryAfterMs, 3000);
      const nf = classify(res(404, { message: 'Customer not found' }));
      assert.ok(nf instanceof NotFoundError);
      assert.equal(nf.failureType, 'TogaiNotFound');
      assert.equal(nf.vendorMessage, 'Customer not found');
      const bad = classify(res(400, { message: 'id must be at most 50 characters' }));
      assert.ok(bad instanceof BusinessError);
      assert.match(bad.message, /id must be at most 50 characters/);
      assert.ok(classify(res(401, { message: 'Unauthorized' })) instanceof AuthError);
      assert.ok(classify(res(403, { message: 'Forbidden' })) instanceof AuthError);
    });
  });

  describe('toApplicationFailure', () => {
    const d = { vendor: 'Zuora' as const, operation: 'createAccount', status: 500 };

    it('maps each class to its failure type and retryability', () => {
      const cases: [Error, string, boolean][] = [
        [new RetryableError('x', d), 'ZuoraRetryable', false],
        [new RateLimitedError('x', { ...d, status: 429 }, undefined), 'ZuoraRateLimited', false],
        [new NotFoundError('x', { ...d, vendor: 'Togai', status: 404 }), 'TogaiNotFound', true],
        [new BusinessError('x', { ...d, status: 400 }), 'ZuoraBusinessError', true],
        [new InvalidResponseError('x', d), 'ZuoraInvalidResponse', true],
        [new AuthError('x', { ...d, vendor: 'Togai', status: 401 }), 'AuthFailed', true],
      ];
      for (const [err, type, nonRetryable] of cases) {
        const f = toApplicationFailure(err);
        assert.ok(f instanceof ApplicationFailure);
        assert.equal(f.type, type);
        assert.equal(f.nonRetryable, nonRetryable, type);
        assert.equal(f.cause, err);
        assert.equal(f.message, 'x');
      }
    });

    it('sets nextRetryDelay from Retry-After and carries the vendor details', () => {
      const f = toApplicationFailure(
        new RateLimitedError('limited', { ...d, status: 429, vendorMessage: 'slow', code: '1' }, 3000),
      );
      assert.equal(f.nextRetryDelay, 3000);
      assert.deepEqual(f.details, [
        { vendor: 'Zuora', operation: 'createAccount', status: 429, code: '1', vendorMessage: 'slow' },
      ]);
      assert.equal(toApplicationFailure(new RetryableError('x', d)).nextRetryDelay, undefined);
    });

    it('passes ApplicationFailures through and keeps unknown errors retryable', () => {
      const af = ApplicationFailure.nonRetryable('already', 'Mine');
      assert.equal(toApplicationFailure(af), af);
      const bug = toApplicationFailure(new TypeError('oops'));
      assert.equal(bug.type, 'TypeError');
      assert.equal(bug.nonRetryable, false);
      const refused = toApplicationFailure(
        new CredentialCheckError('zuora', 'Zuora credential check failed', {
          cause: new AuthError('refused', { ...d, status: 401 }),
        }),
      );
      assert.equal(refused.type, 'AuthFailed');
      assert.equal(refused.nonRetryable, true);
      const unreachable = toApplicationFailure(
        new CredentialCheckError('togai', 'Togai credential check failed', {
          cause: new RetryableError('down', { ...d, vendor: 'Togai' }),
        }),
      );
      assert.equal(unreachable.type, 'TogaiRetryable');
      assert.equal(unreachable.nonRetryable, false);
    });

    it('callVendor makes an activity one line', async () => {
      assert.equal(await callVendor(() => Promise.resolve(42)), 42);
      await assert.rejects(
        callVendor(() => Promise.reject(new NotFoundError('gone', { ...d, status: 404 }))),
        (e: unknown) => e instanceof ApplicationFailure && e.type === 'ZuoraNotFound' && e.nonRetryable,
      );
    });
  });

  describe('Zuora token provider', () => {
    function fakeIssuer(lifetimeSeconds: number) {
      let n = 0;
      const release: (() => void)[] = [];
      return {
        issued: () => n,
        fetcher: async () => {
          n++;
          await new Promise<void>((r) => release.push(r));
          return { accessToken: `t${n}`, expiresInSeconds: lifetimeSeconds };
        },
        releaseAll: () => release.splice(0).forEach((r) => r()),
      };
    }

    it('fetches once for a burst of callers (single flight)', async () => {
      const issuer = fakeIssuer(3600);
      const p = new ZuoraTokenProvider(issuer.fetcher);
      const all = Promise.all(Array.from({ length: 40 }, () => p.get()));
      await new Promise((r) => setImmediate(r));
      issuer.releaseAll();
      const tokens = await all;
      assert.deepEqual(new Set(tokens), new Set(['t1']));
      assert.equal(issuer.issued(), 1);
      assert.equal(await p.get(), 't1', 'cached');
      assert.equal(p.fetchCount, 1);
    });

    it('refreshes ahead of expiry, and after invalidation only once', async () => {
      let now = 0;
      let n = 0;
      const p = new ZuoraTokenProvider(
        () => Promise.resolve({ accessToken: `t${++n}`, expiresInSeconds: 3600 }),
        300_000,
        () => now,
      );
      assert.equal(await p.get(), 't1');
      now = 3600_000 - 300_001; // just before the refresh point
      assert.equal(await p.get(), 't1');
      now = 3600_000 - 299_999; // inside the refresh window, still valid
      assert.equal(await p.get(), 't2');
      p.invalidate('t1'); // a late 401 for an old token does not drop the new one
      assert.equal(await p.get(), 't2');
      p.invalidate('t2');
      const [a, b] = await Promise.all([p.get(), p.get()]);
      assert.equal(a, 't3');
      assert.equal(b, 't3');
    });

    it('keeps serving a still-valid token when a refresh fails, not an expired one', async () => {
      let now = 0;
      let fail = false;
      const p = new ZuoraTokenProvider(
        () =>
          fail
            ? Promise.reject(new Error('token endpoint down'))
            : Promise.resolve({ accessToken: 'ok', expiresInSeconds: 100 }),
        30_000,
        () => now,
      );
      assert.equal(await p.get(), 'ok');
      fail = true;
      now = 80_000; // in the refresh window
      assert.equal(await p.get(), 'ok');
      now = 100_001; // expired
      await assert.rejects(p.get(), /token endpoint down/);
    });
  });

  describe('limiter registry', () => {
    it('shares one queue per connection and replaces it when the limits change', () => {
      const reg = new LimiterRegistry();
      const a = reg.zuora('c1');
      assert.equal(reg.zuora('c1'), a);
      assert.equal(a.concurrency, 40);
      assert.notEqual(reg.zuora('c2'), a);
      const b = reg.zuora('c1', { concurrency: 20 });
      assert.notEqual(b, a);
      assert.equal(b.concurrency, 20);
      assert.notEqual(reg.togai('c1'), reg.togaiIngest('c1'));
      assert.throws(() => reg.zuora('c3', { concurrency: 0 }), RangeError);
    });

    it('never runs more than the Zuora cap at once', async () => {
      const reg = new LimiterRegistry();
      let inFlight = 0;
      let peak = 0;
      await Promise.all(
        Array.from({ length: 50 }, () =>
          reg.zuora('c', { concurrency: 5 }).add(async () => {
            inFlight++;
            peak = Math.max(peak, inFlight);
            await new Promise((r) => setImmediate(r));
            inFlight--;
          }),
        ),
      );
      assert.equal(peak, 5);
    });
  });
});
