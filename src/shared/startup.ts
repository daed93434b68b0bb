import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import lockfile from 'proper-lockfile';

/**
 * What `npm start` checks before it starts anything (issue 14), so a start either works or says
 * why at once and touches nothing: one instance per data directory (a lock, not only a pid file),
 * and every port it will listen on free. Node-only.
 */

/** Exit code of a start refused because another instance holds the data directory, or a port is taken (sysexits.h `EX_TEMPFAIL`). */
export const EXIT_UNAVAILABLE = 75;

/** A start-up refusal with a message an operator can act on: printed as is, without a stack trace. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
  constructor(
    message: string,
    readonly exitCode = EXIT_UNAVAILABLE,
  ) {
    super(message);
  }
}

/** Who holds a data directory: written next to the lock by the holder. */
export interface InstanceInfo {
  pid: number;
  host: string;
  /** ISO-8601, UTC. */
  startedAt: string;
}

const LOCK_NAME = 'instance.lock';
const INFO_NAME = 'instance.json';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function holderOf(dataDir: string): Promise<InstanceInfo | undefined> {
  try {
    const info = JSON.parse(await readFile(join(dataDir, INFO_NAME), 'utf8')) as Partial<InstanceInfo>;
    return typeof info.pid === 'number' && typeof info.host === 'string' && typeof info.startedAt === 'string'
      ? (info as InstanceInfo)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the data directory's instance lock (`proper-lockfile`: an atomic `mkdir`, its mtime
 * refreshed every 5 s, stale after 30 s). A lock whose holder is gone (same host, pid not alive:
 * a SIGKILLed start) is taken over at once; one held by a live process refuses with a
 * `StartupError` naming its pid and start time, and nothing of the running instance is touched.
 * Returns the release function. `onLost` is called if the lock is lost while held (its mtime
 * could not be refreshed), which would let a second instance in.
 */
export async function lockDataDir(
  dataDirPath: string,
  onLost: (err: Error) => void,
): Promise<() => Promise<void>> {
  const dataDir = resolve(dataDirPath);
  await mkdir(dataDir, { recursive: true });
  const options = {
    lockfilePath: join(dataDir, LOCK_NAME),
    stale: 30_000,
    update: 5_000,
    realpath: false,
    onCompromised: onLost,
  };
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dataDir, options);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
    const holder = await holderOf(dataDir);
    if (holder && holder.host === hostname() && !alive(holder.pid)) {
      // Its process is gone (killed): the lock is stale now, not in 30 s.
      await rm(options.lockfilePath, { recursive: true, force: true });
      release = await lockfile.lock(dataDir, options);
    } else {
      const who = holder
        ? `pid ${holder.pid} on ${holder.host}, started ${holder.startedAt}`
        : 'a process that is still starting';
      throw new StartupError(
        `another togai-zuora-sync instance is running on DATA_DIR=${dataDir} (${who}); it was left untouched. ` +
          `Stop it first (Ctrl-C in its terminal${holder ? `, or kill ${holder.pid}` : ''}), or start this one with another DATA_DIR.`,
      );
    }
  }
  const info: InstanceInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  await writeFile(join(dataDir, INFO_NAME), `${JSON.stringify(info)}\n`);
  return async () => {
    await rm(join(dataDir, INFO_NAME), { force: true });
    await release();
  };
}

/** A port a start needs: where, for what, and the variable that moves it. */
export interface PortNeed {
  port: number;
  host: string;
  /** What listens there, e.g. "the gateway". */
  what: string;
  /** The environment variable that sets the port, e.g. GATEWAY_PORT. */
  envVar: string;
}

/** The message for a port that cannot be listened on: the port, what needed it, and what to do. */
export function portProblem(need: PortNeed, err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = `port ${need.port} on ${need.host} (${need.what}, ${need.envVar})`;
  if (code === 'EADDRINUSE')
    return `${where} is already in use: stop what listens there (\`ss -ltnp 'sport = :${need.port}'\` shows it) or set ${need.envVar} to a free port`;
  if (code === 'EACCES')
    return `${where} needs privileges this user lacks: set ${need.envVar} to a port above 1023`;
  if (code === 'EADDRNOTAVAIL')
    return `${where}: the address ${need.host} is not on this machine; check the host setting`;
  return `${where} cannot be listened on: ${err instanceof Error ? err.message : String(err)}`;
}

function probe(need: PortNeed): Promise<string | undefined> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', (err) => done(portProblem(need, err)));
    server.listen({ port: need.port, host: need.host, exclusive: true }, () =>
      server.close(() => done(undefined)),
    );
  });
}

/**
 * Checks every port before anything starts, so a taken one stops the start naming it rather than
 * half-starting. Throws one `StartupError` listing every problem. (A port taken between this check
 * and the real listen is still reported by that listen, with the same message.)
 */
export async function assertPortsFree(needs: readonly PortNeed[]): Promise<void> {
  const problems: string[] = [];
  for (const need of needs) {
    const problem = await probe(need);
    if (problem) problems.push(problem);
  }
  if (problems.length > 0) {
    throw new StartupError(`cannot start:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
