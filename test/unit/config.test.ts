import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from '../../src/config.js';

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
});
