import { spawn, execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Finds or builds the `temporal` CLI (dev server + Web UI). Our machines cannot download release
 * binaries, but they reach the Go module proxy, so the CLI is built from its module once and
 * cached outside the repo. v1.5.1 is the newest tag whose go.mod has no `replace` directive,
 * which `go install module@version` refuses.
 */
export const TEMPORAL_CLI_VERSION = '1.5.1';
const GO_PACKAGE = `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`;
// Without this the binary reports "0.0.0-DEV", which hides which server the tests ran on.
const VERSION_LDFLAG = `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`;

const execFileAsync = promisify(execFile);

export type CliSource = 'TEMPORAL_CLI_PATH' | 'cache' | 'built';

export interface TemporalCli {
  path: string;
  source: CliSource;
  /** What `temporal --version` prints, e.g. "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)". */
  versionLine: string;
}

export interface ResolveCliOptions {
  /** Explicit binary (TEMPORAL_CLI_PATH); when set, nothing else is tried. */
  cliPath?: string | undefined;
  cacheDir?: string;
  goBinary?: string;
  log?: (line: string) => void;
}

export class TemporalCliUnavailableError extends Error {
  override name = 'TemporalCliUnavailableError';
}

export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'togai-zuora-sync', `temporal-v${TEMPORAL_CLI_VERSION}`);
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export async function cliVersionLine(path: string): Promise<string> {
  const { stdout } = await execFileAsync(path, ['--version'], { timeout: 30_000 });
  return stdout.trim();
}

async function findOnPath(binary: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    const candidate = join(dir, binary);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function buildWithGo(goBinary: string, cacheDir: string, log: (line: string) => void): Promise<void> {
  await mkdir(dirname(cacheDir), { recursive: true });
  // Build into a private directory and rename: two processes building at once (parallel test
  // runs, `npm start` beside `npm test`) must never see a half-written binary.
  const stage = await mkdtemp(`${cacheDir}.build-`);
  const started = Date.now();
  log(
    `Building the Temporal CLI v${TEMPORAL_CLI_VERSION} from the Go module proxy (go install ${GO_PACKAGE}).`,
  );
  log('A cold Go module cache takes several minutes; later runs reuse the cached binary.');
  const output: string[] = [];
  const heartbeat = setInterval(() => {
    log(`  ... still building (${Math.round((Date.now() - started) / 1000)} s)`);
  }, 30_000);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(goBinary, ['install', `-ldflags=${VERSION_LDFLAG}`, GO_PACKAGE], {
        env: { ...process.env, GOBIN: stage, GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'local' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const onData = (chunk: Buffer): void => {
        for (const line of chunk.toString().split('\n').filter(Boolean)) {
          output.push(line);
          if (line.startsWith('go: downloading') && output.length % 25 !== 1) continue;
          log(`  ${line}`);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (code !== 0) {
      throw new TemporalCliUnavailableError(
        `go install ${GO_PACKAGE} failed (exit ${code}). Its last output:\n${output.slice(-20).join('\n')}\n` +
          'Fix the Go toolchain/proxy access, or set TEMPORAL_CLI_PATH to an existing temporal binary.',
      );
    }
    await mkdir(cacheDir, { recursive: true });
    await rename(join(stage, 'temporal'), join(cacheDir, 'temporal'));
    log(`Built in ${Math.round((Date.now() - started) / 1000)} s: ${join(cacheDir, 'temporal')}`);
  } finally {
    clearInterval(heartbeat);
    await rm(stage, { recursive: true, force: true });
  }
}

/**
 * Resolution order: TEMPORAL_CLI_PATH, then the per-user cache, then a build with `go`.
 * Throws TemporalCliUnavailableError with what was tried and how to fix it.
 */
export async function ensureTemporalCli(options: ResolveCliOptions = {}): Promise<TemporalCli> {
  const log = options.log ?? ((line: string) => console.error(line));
  if (options.cliPath) {
    if (!(await isExecutable(options.cliPath))) {
      throw new TemporalCliUnavailableError(
        `TEMPORAL_CLI_PATH=${options.cliPath} is not an executable file. Point it at a temporal CLI binary or unset it.`,
      );
    }
    return {
      path: options.cliPath,
      source: 'TEMPORAL_CLI_PATH',
      versionLine: await cliVersionLine(options.cliPath),
    };
  }

  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const cached = join(cacheDir, 'temporal');
  if (await isExecutable(cached)) {
    return { path: cached, source: 'cache', versionLine: await cliVersionLine(cached) };
  }

  const go = options.goBinary ?? (await findOnPath('go'));
  if (!go) {
    throw new TemporalCliUnavailableError(
      [
        'No Temporal CLI available. Tried:',
        '  1. TEMPORAL_CLI_PATH: not set',
        `  2. cache: ${cached}: not found`,
        '  3. building it with Go: `go` is not on PATH',
        'Fix one of these:',
        `  - install Go (1.23+) and rerun; the CLI is then built from ${GO_PACKAGE};`,
        '  - set TEMPORAL_CLI_PATH to a temporal binary (https://docs.temporal.io/cli#install);',
        '  - for `npm test` on a machine with internet access, set TEMPORAL_CLI_DOWNLOAD=1 so the Temporal SDK downloads it.',
      ].join('\n'),
    );
  }
  await buildWithGo(go, cacheDir, log);
  return { path: cached, source: 'built', versionLine: await cliVersionLine(cached) };
}

/**
 * For the command-line entries (`npm run temporal:cli`, `npm test`'s set-up): the CLI as the
 * configuration asks for it, or undefined when none exists but TEMPORAL_CLI_DOWNLOAD=1 lets the
 * tests' SDK download one (said on stderr). Other failures throw with what to fix.
 */
export async function ensureTemporalCliForConfig(config: {
  temporal: { cliPath?: string | undefined; allowSdkDownload: boolean };
}): Promise<TemporalCli | undefined> {
  try {
    return await ensureTemporalCli({ cliPath: config.temporal.cliPath });
  } catch (err) {
    if (!(err instanceof TemporalCliUnavailableError) || !config.temporal.allowSdkDownload) throw err;
    console.error(
      `${err.message}\nTEMPORAL_CLI_DOWNLOAD=1: the tests will let the Temporal SDK download the CLI.`,
    );
    return undefined;
  }
}
