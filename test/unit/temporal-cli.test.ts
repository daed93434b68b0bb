import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTemporalCli, TemporalCliUnavailableError } from '../../src/devtools/temporal-cli.js';

async function fakeBinary(dir: string, name: string, script: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${script}\n`);
  await chmod(path, 0o755);
  return path;
}

describe('Temporal CLI provisioning', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tzs-cli-'));
  });

  it('uses TEMPORAL_CLI_PATH first, and reports its version line', async () => {
    const path = await fakeBinary(dir, 'my-temporal', 'echo "temporal version 9.9.9 (Server x)"');
    const cli = await ensureTemporalCli({ cliPath: path, cacheDir: join(dir, 'cache') });
    assert.equal(cli.source, 'TEMPORAL_CLI_PATH');
    assert.equal(cli.path, path);
    assert.equal(cli.versionLine, 'temporal version 9.9.9 (Server x)');
  });

  it('refuses a TEMPORAL_CLI_PATH that is not executable, naming the variable', async () => {
    await assert.rejects(
      ensureTemporalCli({ cliPath: join(dir, 'missing') }),
      (err: unknown) =>
        err instanceof TemporalCliUnavailableError && /TEMPORAL_CLI_PATH=.*missing/.test(err.message),
    );
  });

  it('uses the cached binary without building', async () => {
    const cacheDir = join(dir, 'cache');
    await fakeBinary(cacheDir, 'temporal', 'echo "temporal version cached"');
    const goLog = join(dir, 'go-called');
    const go = await fakeBinary(dir, 'go', `touch ${goLog}; exit 1`);
    const cli = await ensureTemporalCli({ cacheDir, goBinary: go });
    assert.equal(cli.source, 'cache');
    assert.equal(cli.versionLine, 'temporal version cached');
  });

  it('builds into the cache with `go install` of the pinned module when nothing is cached', async () => {
    const cacheDir = join(dir, 'cache');
    const argsFile = join(dir, 'go-args');
    // A stand-in `go` that records its arguments and "installs" a binary into $GOBIN.
    const go = await fakeBinary(
      dir,
      'go',
      `echo "$@" > ${argsFile}; printf '#!/bin/sh\\necho "temporal version 1.5.1"\\n' > "$GOBIN/temporal"; chmod +x "$GOBIN/temporal"`,
    );
    const lines: string[] = [];
    const cli = await ensureTemporalCli({ cacheDir, goBinary: go, log: (l) => lines.push(l) });
    assert.equal(cli.source, 'built');
    assert.equal(cli.path, join(cacheDir, 'temporal'));
    assert.equal(cli.versionLine, 'temporal version 1.5.1');
    const { readFile } = await import('node:fs/promises');
    const args = await readFile(argsFile, 'utf8');
    assert.match(args, /^install /);
    assert.match(args, /github\.com\/temporalio\/cli\/cmd\/temporal@v1\.5\.1/);
    assert.match(args, /temporalcli\.Version=1\.5\.1/);
    assert.ok(
      lines.some((l) => l.includes('Building the Temporal CLI')),
      'progress was printed',
    );
  });

  it('reports the exact go error when the build fails', async () => {
    const go = await fakeBinary(dir, 'go', 'echo "go: module lookup disabled by GOPROXY=off" >&2; exit 1');
    await assert.rejects(
      ensureTemporalCli({ cacheDir: join(dir, 'cache'), goBinary: go, log: () => undefined }),
      (err: unknown) =>
        err instanceof TemporalCliUnavailableError &&
        err.message.includes('go: module lookup disabled by GOPROXY=off') &&
        err.message.includes('TEMPORAL_CLI_PATH'),
    );
  });

  it('says what was tried and how to fix it when there is no binary and no Go', async () => {
    const savedPath = process.env.PATH;
    process.env.PATH = dir;
    try {
      await assert.rejects(
        ensureTemporalCli({ cacheDir: join(dir, 'cache') }),
        (err: unknown) =>
          err instanceof TemporalCliUnavailableError &&
          /TEMPORAL_CLI_PATH: not set/.test(err.message) &&
          /`go` is not on PATH/.test(err.message) &&
          /TEMPORAL_CLI_DOWNLOAD=1/.test(err.message),
      );
    } finally {
      process.env.PATH = savedPath;
    }
  });
});
