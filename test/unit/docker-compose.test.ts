import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/shared/search-attributes.js';

// No Docker engine runs on our machines, so the stack is checked by reading it.
const root = new URL('../../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

const service = z.object({
  image: z.string().optional(),
  build: z.union([z.string(), z.object({ context: z.string() })]).optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
  environment: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  ports: z.array(z.string()).optional(),
  volumes: z.array(z.string()).optional(),
  depends_on: z
    .union([z.array(z.string()), z.record(z.string(), z.object({ condition: z.string() }))])
    .optional(),
});
const compose = z
  .object({ services: z.record(z.string(), service) })
  .parse(parse(read('docker-compose.yml'), { merge: true }));
const svc = (name: string): z.infer<typeof service> => {
  const s = compose.services[name];
  assert.ok(s, `service ${name} exists`);
  return s;
};

describe('docker-compose.yml (production-like stack)', () => {
  it('runs Temporal (auto-setup) on PostgreSQL with dynamic config from temporal-config/', () => {
    const temporal = svc('temporal');
    assert.match(temporal.image ?? '', /^temporalio\/auto-setup:/);
    assert.equal(temporal.environment?.DB, 'postgres12');
    const seeds = String(temporal.environment?.POSTGRES_SEEDS);
    assert.match(svc(seeds).image ?? '', /^postgres:/, 'POSTGRES_SEEDS names a PostgreSQL service');
    assert.ok(temporal.ports?.includes('7233:7233'));
    const mount = temporal.volumes?.find((v) => v.startsWith('./temporal-config:'));
    assert.ok(mount, 'temporal-config is mounted');
    const dynamicConfig = String(temporal.environment?.DYNAMIC_CONFIG_FILE_PATH);
    const file = dynamicConfig.split('/').at(-1) ?? '';
    assert.ok(existsSync(new URL(`temporal-config/${file}`, root)), `${file} exists in temporal-config/`);
    assert.doesNotThrow(() => parse(read(`temporal-config/${file}`)));
  });

  it('serves the Temporal Web UI on :8233', () => {
    const ui = svc('temporal-ui');
    assert.match(ui.image ?? '', /^temporalio\/ui:/);
    assert.equal(ui.environment?.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.ok(ui.ports?.some((p) => p.startsWith('8233:')));
  });

  it('registers every search attribute the workflows set', () => {
    const setup = JSON.stringify(svc('temporal-setup').command);
    for (const key of ALL_SEARCH_ATTRIBUTES)
      assert.ok(setup.includes(`${key.name}=`), `${key.name} registered`);
  });

  it('builds the worker and the gateway from the Dockerfile and points them at Temporal and PostgreSQL', () => {
    assert.ok(existsSync(new URL('Dockerfile', root)));
    const example = read('.env.example');
    for (const name of ['worker', 'gateway']) {
      const s = svc(name);
      assert.ok(s.build, `${name} is built from the repo`);
      assert.match(JSON.stringify(s.command), new RegExp(`dist/src/${name}\\.js`));
      assert.equal(s.environment?.TEMPORAL_ADDRESS, 'temporal:7233');
      assert.equal(s.environment?.TZS_MODE, 'production');
      assert.match(String(s.environment?.DATABASE_URL), /^postgres:\/\//);
      for (const key of Object.keys(s.environment ?? {})) {
        assert.match(example, new RegExp(`^${key}=`, 'm'), `${name}: ${key} is a documented variable`);
      }
    }
    assert.ok(svc('gateway').ports?.includes('3000:3000'));
  });
  it('runs the codec server (same image, its own port, a token) and points the Web UI at it with credentials', () => {
    const codec = svc('codec-server');
    assert.ok(codec.build, 'built from the repo');
    assert.match(JSON.stringify(codec.command), /dist\/src\/codec-server\.js/);
    assert.equal(codec.environment?.TZS_MODE, 'production');
    assert.match(String(codec.environment?.CODEC_SERVER_TOKEN), /CODEC_SERVER_TOKEN/, 'a required token');
    assert.ok(codec.ports?.includes('8081:8081'));
    const ui = svc('temporal-ui');
    assert.equal(ui.environment?.TEMPORAL_CODEC_ENDPOINT, codec.environment?.CODEC_SERVER_PUBLIC_URL);
    assert.equal(String(ui.environment?.TEMPORAL_CODEC_INCLUDE_CREDENTIALS), 'true');
    const uiPort = ui.ports?.[0]?.split(':')[0];
    assert.equal(codec.environment?.CODEC_SERVER_ORIGINS, `http://localhost:${uiPort}`);
    const example = read('.env.example');
    for (const key of Object.keys(codec.environment ?? {})) {
      assert.match(example, new RegExp(`^${key}=`, 'm'), `codec-server: ${key} is a documented variable`);
    }
  });
});
