import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, EXIT_CONFIG, loadConfig } from '../../src/config.js';

describe('config', () => {
  it('applies defaults for an empty environment (all-in-one mode)', () => {
    const c = loadConfig({});
    assert.equal(c.temporal.address, undefined);
    assert.equal(c.temporal.devPort, 7233);
    assert.equal(c.temporal.uiPort, 8233);
    assert.equal(c.temporal.namespace, 'default');
    assert.equal(c.gateway.port, 3000);
    assert.equal(c.mode, 'dev');
  });

  it('treats empty strings as unset, as .env files produce them', () => {
    const c = loadConfig({ TEMPORAL_ADDRESS: '', GATEWAY_PORT: '' });
    assert.equal(c.temporal.address, undefined);
    assert.equal(c.gateway.port, 3000);
  });

  it('names every bad variable in one error', () => {
    let caught: unknown;
    try {
      loadConfig({ GATEWAY_PORT: 'eighty', TEMPORAL_ADDRESS: 'http://temporal:7233', LOG_LEVEL: 'loud' });
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof ConfigError);
    const vars = caught.problems.map((p) => p.split(':')[0]);
    assert.deepEqual(vars.sort(), ['GATEWAY_PORT', 'LOG_LEVEL', 'TEMPORAL_ADDRESS']);
    assert.match(caught.message, /TEMPORAL_ADDRESS: expected host:port/);
  });

  it('.env.example lists every variable the schema reads', () => {
    const example = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8');
    const listed = new Set([...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    const source = readFileSync(new URL('../../../src/config.ts', import.meta.url), 'utf8');
    const read = [...source.matchAll(/^\s{2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]);
    assert.ok(read.length >= 10, 'found the schema keys');
    assert.deepEqual(
      read.filter((k) => !listed.has(k)),
      [],
    );
  });

  for (const entry of ['start', 'worker', 'gateway']) {
    it(`${entry}: a bad variable prints one readable line per variable, no stack trace, exit ${EXIT_CONFIG}`, () => {
      const script = fileURLToPath(new URL(`../../src/${entry}.js`, import.meta.url));
      const run = spawnSync(process.execPath, [script], {
        env: {
          PATH: process.env['PATH'] ?? '',
          GATEWAY_PORT: 'eighty',
          WORKER_MAX_CACHED_WORKFLOWS: '-1',
          TZS_ENCRYPTION_KEY: 'c2VjcmV0LWJ1dC10b28tc2hvcnQ=',
        },
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(run.status, EXIT_CONFIG, run.stderr);
      assert.match(run.stderr, /^Invalid configuration:$/m);
      assert.match(
        run.stderr,
        /^ {2}- GATEWAY_PORT: expected a whole number from 1 to 65535 \(a TCP port\)$/m,
      );
      assert.match(
        run.stderr,
        /^ {2}- WORKER_MAX_CACHED_WORKFLOWS: expected a whole number from 0 to 100000$/m,
      );
      assert.match(run.stderr, /^ {2}- TZS_ENCRYPTION_KEY: expected 32 random bytes in base64/m);
      assert.equal(run.stderr.includes('c2VjcmV0'), false, 'the secret value is never echoed');
      assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
      assert.equal(run.stdout, '');
    });
  }
});
