import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What `npm run bench` and `npm run chaos` share: ports, child processes, lanes of work. */

/** The worker's Node flags, as `npm run worker` and docker-compose.yml start it (docs/benchmarks.md). */
export const WORKER_NODE_FLAGS = ['--max-old-space-size=192', '--max-semi-space-size=8'];

/** The repository root (scripts compile to dist/scripts). */
export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Spawns a project entry point; resolves once `ready` says so (a log line or an HTTP probe). */
export async function child(
  entry: string,
  env: NodeJS.ProcessEnv,
  ready: (out: string) => boolean,
  nodeFlags: string[] = [],
): Promise<ChildProcess> {
  const proc = spawn(process.execPath, [...nodeFlags, join(ROOT, entry)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Stopped on the way out even when interrupted while it starts.
  register(() => stop(proc));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${entry} was not ready within 3 minutes:\n${out}`));
    }, 180_000);
    const onData = (chunk: Buffer): void => {
      out = (out + chunk.toString()).slice(-20_000);
      if (ready(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited (${code}) before it was ready:\n${out}`));
    });
  });
  proc.removeAllListeners('exit');
  // Keep draining so the child never blocks on a full pipe.
  proc.stdout?.removeAllListeners('data');
  proc.stderr?.removeAllListeners('data');
  proc.stdout?.resume();
  proc.stderr?.resume();
  return proc;
}

export async function stop(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (proc.exitCode === null) proc.kill('SIGKILL');
}

/** Runs `task` for each item with `lanes` in flight. */
export async function lanes<T>(items: T[], n: number, task: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: n }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
    }),
  );
}

export async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  return (await res.json()) as T;
}

/**
 * Cleanups run on the way out, also on Ctrl-C or SIGTERM, so no worker, gateway or server is left
 * behind. `register` adds one (run in reverse order); `runCleanups` runs them once.
 */
const cleanups: (() => Promise<unknown>)[] = [];
export function register(cleanup: () => Promise<unknown>): void {
  cleanups.push(cleanup);
}
export async function runCleanups(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void runCleanups().finally(() => process.exit(130));
  });
}

/** A promise's outcome as a value, so one kept for later never becomes an unhandled rejection. */
export function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}
