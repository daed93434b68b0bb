import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import semver from 'semver';

// The Node.js support policy (docs/node.md) is spread over package.json, the Dockerfile and .ci/run;
// no Docker engine runs here, so they are checked against each other by reading them.
const root = new URL('../../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');
const engines = (path: string): string => {
  const range = (JSON.parse(read(path)) as { engines?: { node?: string } }).engines?.node;
  assert.ok(range, `${path} names the supported Node.js versions in engines.node`);
  assert.ok(semver.validRange(range), `${path}: engines.node "${range}" is a semver range`);
  return range;
};

/** The LTS lines docs/node.md calls supported, each from the minor the project needs. */
const SUPPORTED = ['22.13.0', '24.0.0'];
/** End of life (April 2026), still the machines' default: tested, accepted, deprecated. */
const DEPRECATED = '20.19.0';

describe('supported Node.js (engines, Dockerfile, CI)', () => {
  const range = engines('package.json');

  it('engines accepts the supported LTS lines and the deprecated one, and nothing older or untested', () => {
    for (const version of [...SUPPORTED, DEPRECATED]) {
      assert.ok(semver.satisfies(version, range), `${version} satisfies "${range}"`);
    }
    for (const version of ['18.20.0', '20.18.0', '22.12.0', '23.0.0', '25.0.0', '26.0.0']) {
      assert.ok(!semver.satisfies(version, range), `${version} is outside "${range}"`);
    }
    assert.equal(
      engines('packages/simulators/package.json'),
      range,
      'the simulators workspace says the same',
    );
  });

  it('the Node.js running this suite is one engines accepts', () => {
    assert.ok(semver.satisfies(process.version, range), `${process.version} satisfies "${range}"`);
  });

  it('the Dockerfile builds and runs on one supported LTS image (the addon built in one stage loads in the other)', () => {
    const images = [...read('Dockerfile').matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!);
    assert.ok(images.length >= 2, 'a build stage and a runtime stage');
    assert.equal(new Set(images).size, 1, `one image for every stage: ${images.join(', ')}`);
    const major = /^node:(\d+)-/.exec(images[0]!)?.[1];
    assert.ok(major, `${images[0]} is an official node image with a pinned major`);
    assert.ok(
      SUPPORTED.some((v) => semver.major(v) === Number(major)),
      `node:${major} is a supported LTS line (${SUPPORTED.join(', ')})`,
    );
  });

  it('.ci/run runs the suite on a pinned Node 24 that engines accepts, besides the machine’s Node', () => {
    const ci = read('.ci/run');
    const pinned = /^NODE24_VERSION=(\S+)$/m.exec(ci)?.[1];
    assert.ok(pinned && semver.valid(pinned), 'NODE24_VERSION is an exact version');
    assert.equal(semver.major(pinned), 24);
    assert.ok(semver.satisfies(pinned, range), `${pinned} satisfies "${range}"`);
    assert.match(
      ci,
      /^NODE24_INTEGRITY=sha512-\S+$/m,
      'the fetched Node is checked against a pinned integrity',
    );
    assert.match(ci, /scripts\/test-on-node\.sh system/);
    assert.match(ci, /scripts\/test-on-node\.sh "\$NODE24_VERSION"/);
  });
});
