import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import type { Logger } from '../logger.js';
import { searchAttributeCliArgs } from '../shared/search-attributes.js';

/**
 * The all-in-one mode's Temporal: the CLI's dev server, persisted in SQLite under DATA_DIR.
 * WAL keeps readers (the Web UI) from blocking the history writer; synchronous=NORMAL is the
 * durable-enough setting for WAL (a power cut may lose the last transactions, never corrupt).
 */
export const DEV_SERVER_SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal', 'busy_timeout=5000'];

export interface DevServerOptions {
  cliPath: string;
  dataDir: string;
  namespace: string;
  port: number;
  uiPort: number;
  /** The HTTP API and /metrics ports: set, so they never land on a port another part needs (the CLI picks random ones otherwise). */
  httpPort?: number;
  metricsPort?: number;
  ip?: string;
  /** The codec server the Web UI decodes payloads with (`--ui-codec-endpoint`). */
  codecEndpoint?: string;
  log: Logger;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Where the dev server's pid is kept, so the next start can stop one orphaned by a SIGKILL. */
export function devServerPidFile(dataDir: string): string {
  return join(resolve(dataDir), 'temporal.pid');
}

export async function reapStaleServer(pidFile: string, log: Logger): Promise<void> {
  // A dev server left running by a SIGKILLed `npm start` would hold the port and the DB lock.
  let pid: number;
  try {
    pid = Number((await readFile(pidFile, 'utf8')).trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes('start-dev')) return;
    log.warn({ pid }, 'stopping a dev server left behind by an earlier run');
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      process.kill(pid, 0);
    }
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone already, or /proc unavailable: nothing to reap.
  }
}

export async function waitForTemporal(address: string, timeoutMs: number): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      await connection.workflowService.getSystemInfo({});
      return connection;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(
    `Temporal at ${address} did not answer within ${timeoutMs} ms: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
  );
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const pidFile = devServerPidFile(dataDir);
  await reapStaleServer(pidFile, options.log);

  const ip = options.ip ?? '127.0.0.1';
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    join(dataDir, 'temporal.db'),
    ...DEV_SERVER_SQLITE_PRAGMAS.flatMap((p) => ['--sqlite-pragma', p]),
    '--namespace',
    options.namespace,
    '--ip',
    ip,
    '--port',
    String(options.port),
    '--ui-port',
    String(options.uiPort),
    ...(options.httpPort !== undefined ? ['--http-port', String(options.httpPort)] : []),
    ...(options.metricsPort !== undefined ? ['--metrics-port', String(options.metricsPort)] : []),
    '--log-format',
    'json',
    '--log-level',
    'warn',
    ...searchAttributeCliArgs(),
    ...(options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : []),
  ];
  options.log.info({ cli: options.cliPath, args }, 'starting Temporal dev server');
  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await writeFile(pidFile, String(child.pid));
  const forward = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) options.log.debug({ temporal: line });
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);

  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const address = `${ip}:${options.port}`;
  const ready = waitForTemporal(address, 60_000).then((c) => c.close());
  const outcome = await Promise.race([ready.then(() => 'ready' as const), exited.then((code) => code)]);
  if (outcome !== 'ready') {
    throw new Error(
      `Temporal dev server exited with code ${outcome} before it was ready (is port ${options.port} taken?)`,
    );
  }

  return {
    address,
    uiUrl: `http://${ip === '0.0.0.0' ? 'localhost' : ip}:${options.uiPort}`,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(pidFile, { force: true });
    },
  };
}
