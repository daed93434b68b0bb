import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { Keyring } from '../../src/connections/crypto.js';
import {
  CODEC_COOKIE,
  codecTokenPath,
  createCodecServerApp,
  payloadToJson,
  resolveCodecServerToken,
  startCodecServer,
} from '../../src/api/codec-server.js';
import { EncryptionCodec } from '../../src/temporal/codec.js';
import { capturingLogger } from '../connections/helpers.js';
import { testConfig } from '../helpers/temporal.js';

const TOKEN = 'codec-test-token-0123456789abcdef';
const UI = 'http://localhost:8233';

/** The codec server's HTTP surface in-process: auth, CORS, the protocol's JSON, errors. */
describe('Codec server (remote codec protocol, token, CORS)', () => {
  const ringA = new Keyring({ id: 'kA', key: Buffer.alloc(32, 7) });
  const codec = EncryptionCodec.fromKeyring(ringA);
  let server: Server;
  let url: string;
  const logs = capturingLogger();

  before(async () => {
    const app = createCodecServerApp({ codec, token: TOKEN, origins: [UI], log: logs.log });
    server = createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  async function encryptedBody(value: unknown): Promise<string> {
    const encoded = await codec.encode([defaultPayloadConverter.toPayload(value)]);
    return JSON.stringify({ payloads: encoded.map(payloadToJson) });
  }

  function decodedValue(body: { payloads: { metadata: Record<string, string>; data: string }[] }): unknown {
    const p = body.payloads[0]!;
    return defaultPayloadConverter.fromPayload({
      metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
      data: Buffer.from(p.data, 'base64'),
    });
  }

  it('POST /decode with the bearer token answers the decoded payloads as protobuf JSON', async () => {
    const res = await fetch(`${url}/decode`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${TOKEN}`,
        'x-namespace': 'default',
      },
      body: await encryptedBody({ name: 'Zebulon Quartermaine' }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(decodedValue((await res.json()) as never), { name: 'Zebulon Quartermaine' });
  });

  it('only the last path segment counts: /some/prefix/decode and /encode round-trip', async () => {
    const plain = JSON.stringify({ payloads: [payloadToJson(defaultPayloadConverter.toPayload('1234.56'))] });
    const enc = await fetch(`${url}/some/prefix/encode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: plain,
    });
    assert.equal(enc.status, 200);
    const encoded = (await enc.json()) as { payloads: { metadata: Record<string, string> }[] };
    assert.equal(
      Buffer.from(encoded.payloads[0]!.metadata['encoding']!, 'base64').toString(),
      'binary/encrypted',
    );
    const dec = await fetch(`${url}/some/prefix/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(encoded),
    });
    assert.equal(decodedValue((await dec.json()) as never), '1234.56');
  });

  it('without a token, or with a wrong one: 401 and nothing decoded', async () => {
    const body = await encryptedBody('secret');
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer not-the-token' },
      { cookie: `${CODEC_COOKIE}=nope` },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${url}/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /Bearer/);
      assert.ok(!(await res.text()).includes('secret'));
    }
  });

  it('the Web UI path: preflight from the UI origin gets CORS with credentials; /login sets the cookie the UI then sends', async () => {
    const preflight = await fetch(`${url}/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: UI,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace',
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), UI);
    assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /X-Namespace/i);

    const login = await fetch(`${url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: TOKEN }).toString(),
    });
    assert.equal(login.status, 200);
    const setCookie = login.headers.get('set-cookie') ?? '';
    assert.match(setCookie, new RegExp(`^${CODEC_COOKIE}=`));
    assert.match(setCookie, /HttpOnly/i);
    assert.match(setCookie, /SameSite=Strict/i);
    const cookie = setCookie.split(';')[0]!;

    const res = await fetch(`${url}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: UI, cookie },
      body: await encryptedBody({ email: 'zq@example.org' }),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), UI);
    assert.deepEqual(decodedValue((await res.json()) as never), { email: 'zq@example.org' });
  });

  it('a wrong token at /login sets no cookie', async () => {
    const login = await fetch(`${url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: 'wrong' }).toString(),
    });
    assert.equal(login.status, 401);
    assert.equal(login.headers.get('set-cookie'), null);
  });

  it('another origin gets no CORS header and is refused, even with the token', async () => {
    const preflight = await fetch(`${url}/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    assert.equal(preflight.status, 403);
    const res = await fetch(`${url}/decode`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: 'http://localhost:9999',
        authorization: `Bearer ${TOKEN}`,
      },
      body: await encryptedBody('secret'),
    });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    assert.ok(!(await res.text()).includes('secret'));
  });

  it('a payload under an unknown key: 422 naming the key id; a malformed body: 400 naming the field', async () => {
    const other = EncryptionCodec.fromKeyring(new Keyring({ id: 'kZ', key: Buffer.alloc(32, 9) }));
    const encoded = await other.encode([defaultPayloadConverter.toPayload('x')]);
    const res = await fetch(`${url}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ payloads: encoded.map(payloadToJson) }),
    });
    assert.equal(res.status, 422);
    const body = (await res.json()) as { keyId: string; message: string };
    assert.equal(body.keyId, 'kZ');
    assert.match(body.message, /"kZ"/);

    const bad = await fetch(`${url}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ payloads: [{ metadata: { encoding: '***' }, data: '' }] }),
    });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { message: string }).message, /payloads\[0\]\.metadata\.encoding/);
  });

  it('token: required in production; generated once under DATA_DIR in dev mode (mode 0600)', () => {
    assert.throws(
      () =>
        resolveCodecServerToken(
          testConfig({ TZS_MODE: 'production', TZS_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') }),
          capturingLogger().log,
        ),
      /CODEC_SERVER_TOKEN is required/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'tzs-codec-token-'));
    try {
      const config = testConfig({ DATA_DIR: dir });
      const first = resolveCodecServerToken(config, capturingLogger().log);
      assert.ok(first.length >= 32);
      assert.equal(resolveCodecServerToken(config, capturingLogger().log), first);
      assert.equal(readFileSync(codecTokenPath(config), 'utf8').trim(), first);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a taken port fails the start with the port named', async () => {
    const port = (server.address() as AddressInfo).port;
    const dir = mkdtempSync(join(tmpdir(), 'tzs-codec-port-'));
    try {
      const config = testConfig({ DATA_DIR: dir, CODEC_SERVER_PORT: String(port) });
      await assert.rejects(
        startCodecServer(config, capturingLogger().log),
        new RegExp(`127\\.0\\.0\\.1:${port}`),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('CODEC_SERVER_ORIGINS: a value that is not an origin is refused by the configuration', () => {
    assert.throws(
      () => testConfig({ CODEC_SERVER_ORIGINS: 'http://ui.example/path' }),
      /CODEC_SERVER_ORIGINS/,
    );
    assert.deepEqual(
      testConfig({ CODEC_SERVER_ORIGINS: 'https://ui.example, http://localhost:8233' }).codecServer.origins,
      ['https://ui.example', 'http://localhost:8233'],
    );
    assert.deepEqual(testConfig({ TEMPORAL_UI_PORT: '9233' }).codecServer.origins, [
      'http://localhost:9233',
      'http://127.0.0.1:9233',
    ]);
  });
});
