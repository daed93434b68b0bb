import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { checkTogaiAuth, checkZuoraAuth } from '../../src/api/webhook-auth.js';
import type { WebhookSettings } from '../../src/config.js';
import { checkTogaiSignature, togaiSignatureHeader } from '../../src/shared/togai-signature.js';
import { testConfig } from '../helpers/temporal.js';

const body = Buffer.from('{"AccountId":"8a8aa1"}');
const basic = (u: string, p: string): string => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

describe('webhook authentication (pure checks)', () => {
  const hmac: WebhookSettings['zuoraHmac'] = testConfig().webhooks.zuoraHmac;
  const creds = {
    auth: 'basic+hmac' as const,
    basicUsername: 'zuora-conn_x',
    basicPasswords: ['current-password', 'previous-password'],
    hmacSecrets: ['current-secret', 'previous-secret'],
  };
  const sig = (secret: string, settings = hmac): string =>
    createHmac(settings.algorithm, secret).update(body).digest(settings.encoding);

  it('Zuora defaults: X-Zuora-Signature, HMAC-SHA256 of the raw body, base64', () => {
    assert.deepEqual(hmac, { header: 'X-Zuora-Signature', algorithm: 'sha256', encoding: 'base64' });
  });

  it('Zuora basic+hmac needs both; current and grace-period credentials pass', () => {
    for (const password of creds.basicPasswords) {
      for (const secret of creds.hmacSecrets) {
        const r = checkZuoraAuth(
          creds,
          hmac,
          { authorization: basic(creds.basicUsername, password), signature: sig(secret) },
          body,
        );
        assert.deepEqual(r, { ok: true });
      }
    }
    const noSig = checkZuoraAuth(
      creds,
      hmac,
      { authorization: basic(creds.basicUsername, 'current-password'), signature: undefined },
      body,
    );
    assert.deepEqual(noSig, { ok: false, reason: 'missing X-Zuora-Signature signature' });
    const neither = checkZuoraAuth(creds, hmac, { authorization: undefined, signature: undefined }, body);
    assert.equal(neither.ok, false);
    assert.ok(!neither.ok && /Basic/.test(neither.reason) && /signature/.test(neither.reason));
  });

  it('Zuora honours the configured header name, algorithm and encoding', () => {
    const custom: WebhookSettings['zuoraHmac'] = testConfig({
      ZUORA_WEBHOOK_HMAC_HEADER: 'X-Callout-Signature',
      ZUORA_WEBHOOK_HMAC_ALGORITHM: 'sha512',
      ZUORA_WEBHOOK_HMAC_ENCODING: 'hex',
    }).webhooks.zuoraHmac;
    const only = { ...creds, auth: 'hmac' as const };
    const good = sig('current-secret', custom);
    assert.match(good, /^[0-9a-f]{128}$/);
    assert.deepEqual(checkZuoraAuth(only, custom, { authorization: undefined, signature: good }, body), {
      ok: true,
    });
    const sha256base64 = sig('current-secret');
    assert.deepEqual(
      checkZuoraAuth(only, custom, { authorization: undefined, signature: sha256base64 }, body),
      {
        ok: false,
        reason: 'wrong X-Callout-Signature signature',
      },
    );
    assert.throws(() => testConfig({ ZUORA_WEBHOOK_HMAC_ALGORITHM: 'md5' }), /ZUORA_WEBHOOK_HMAC_ALGORITHM/);
  });

  it('Zuora: an empty accepted list never means "anyone"', () => {
    const empty = { auth: 'basic' as const, basicUsername: 'u', basicPasswords: [], hmacSecrets: [] };
    assert.equal(
      checkZuoraAuth(empty, hmac, { authorization: basic('u', ''), signature: undefined }, body).ok,
      false,
    );
    const noUser = { auth: 'basic' as const, basicPasswords: ['p'], hmacSecrets: [] };
    assert.equal(
      checkZuoraAuth(noUser, hmac, { authorization: basic('', 'p'), signature: undefined }, body).ok,
      false,
    );
    const noSecret = { auth: 'hmac' as const, basicPasswords: [], hmacSecrets: [] };
    const emptySig = createHmac('sha256', '').update(body).digest('base64');
    assert.equal(
      checkZuoraAuth(noSecret, hmac, { authorization: undefined, signature: emptySig }, body).ok,
      false,
    );
  });

  it('Togai signature: parsing, replay window both ways, several v1 entries, several secrets', () => {
    const now = 1_767_261_600;
    const raw = '{"eventId":"evt_1"}';
    const good = togaiSignatureHeader('s1', raw, now);
    assert.deepEqual(checkTogaiSignature(['s1'], raw, good, now), { ok: true });
    assert.deepEqual(checkTogaiSignature(['s0', 's1'], Buffer.from(raw), good, now + 300), { ok: true });
    assert.deepEqual(checkTogaiSignature(['s1'], raw, good, now + 301), { ok: false, reason: 'stale' });
    assert.deepEqual(checkTogaiSignature(['s1'], raw, good, now - 301), { ok: false, reason: 'stale' });
    assert.deepEqual(checkTogaiSignature(['s2'], raw, good, now), { ok: false, reason: 'mismatch' });
    const v1Other = togaiSignatureHeader('other', raw, now).split(',')[1] ?? '';
    assert.deepEqual(checkTogaiSignature(['s1'], raw, `${good},${v1Other}`, now), { ok: true });
    assert.deepEqual(
      checkTogaiSignature(['s1'], raw, `${good},v0=legacy`, now),
      { ok: true },
      'unknown keys ignored',
    );
    for (const header of [undefined, '', '   ']) {
      assert.deepEqual(checkTogaiSignature(['s1'], raw, header, now), { ok: false, reason: 'missing' });
    }
    for (const header of [
      'garbage',
      `t=${now}`,
      good.split(',')[1] ?? '',
      `t=abc,${good.split(',')[1]}`,
      `t=${now},v1=zz`,
      `t=${now},t=${now},${good.split(',')[1]}`,
    ]) {
      assert.deepEqual(
        checkTogaiSignature(['s1'], raw, header, now),
        { ok: false, reason: 'malformed' },
        header,
      );
    }
    assert.equal(checkTogaiSignature([], raw, good, now).ok, false);
    const r = checkTogaiAuth({ hmacSecrets: ['s1'] }, good, Buffer.from(raw), now + 1000, 300);
    assert.deepEqual(r, {
      ok: false,
      reason: 'Togai-Signature timestamp is more than 300 s away from now (replay?)',
    });
    assert.deepEqual(checkTogaiAuth({ hmacSecrets: [] }, good, Buffer.from(raw), now, 300), {
      ok: false,
      reason: 'no HMAC secret configured',
    });
  });
});
