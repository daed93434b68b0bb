import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, chmod, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Temporal's time-skipping test server for the fast workflow tests. The SDK's
 * `TestWorkflowEnvironment.createTimeSkipping()` downloads a native build, which our machines
 * cannot; Maven Central serves the Java one (`io.temporal:temporal-test-server`), so it is fetched
 * with Maven once into a per-user cache, with a launcher the SDK runs as an existing executable:
 *
 *   createTimeSkipping({ server: { executable: { type: 'existing-path', path: launcher } } })
 *
 * The SDK runs `<launcher> <port>`, polls the port for 5 s, and SIGKILLs the process on teardown,
 * so the launcher `exec`s java (signals reach the JVM) under `setpriv --pdeathsig KILL` (a killed
 * test runner leaves no JVM). A class-data archive, made at fetch time, halves the JVM's start so
 * it stays well inside the SDK's 5 s. Needs java 17+ and mvn on PATH the first time.
 */
export const TEST_SERVER_VERSION = '1.38.0';
const MAIN_CLASS = 'io.temporal.testserver.TestServer';
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies';

export class TestServerUnavailableError extends Error {
  override name = 'TestServerUnavailableError';
}

export function defaultTestServerDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'togai-zuora-sync', `temporal-test-server-${TEST_SERVER_VERSION}`);
}

const POM = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>togai-zuora-sync</groupId><artifactId>temporal-test-server-fetch</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies><dependency>
    <groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>${TEST_SERVER_VERSION}</version>
  </dependency></dependencies>
</project>
`;

const LAUNCHER = `#!/bin/sh
# Written by togai-zuora-sync (src/devtools/test-server.ts): Temporal's Java test server.
set -e
DIR="$(cd "$(dirname "$0")" && pwd)"
CDS=""
if [ -f "$DIR/testserver.jsa" ]; then CDS="-XX:SharedArchiveFile=$DIR/testserver.jsa -Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off"; fi
PDEATH=""
if command -v setpriv >/dev/null 2>&1; then PDEATH="setpriv --pdeathsig KILL"; fi
exec $PDEATH "\${JAVA:-java}" $CDS -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$(cat "$DIR/classpath.txt")" ${MAIN_CLASS} "$@"
`;

async function exists(path: string, mode = fsConstants.F_OK): Promise<boolean> {
  try {
    await access(path, mode);
    return true;
  } catch {
    return false;
  }
}

function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Starts the server once with an archive dump on exit, so later JVM starts load classes from it. */
async function trainClassArchive(dir: string, classpath: string): Promise<void> {
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const child = spawn(
    'java',
    [
      `-XX:ArchiveClassesAtExit=${join(dir, 'testserver.jsa')}`,
      '-Xlog:cds=off',
      '-Xlog:cds+dynamic=off',
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      '-cp',
      classpath,
      MAIN_CLASS,
      port,
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise((r) => setTimeout(r, 8_000));
  child.kill('SIGTERM'); // a normal JVM exit writes the archive
  await exited;
}

/**
 * The launcher of the cached test server, fetching it first when missing. Throws
 * TestServerUnavailableError saying what is missing (java, mvn, Maven Central) and what to do.
 */
export async function ensureTimeSkippingServer(
  options: { dir?: string; log?: (line: string) => void } = {},
): Promise<string> {
  const dir = options.dir ?? defaultTestServerDir();
  const log = options.log ?? ((line: string) => console.error(line));
  const launcher = join(dir, 'launcher.sh');
  if (await exists(launcher, fsConstants.X_OK)) return launcher;

  await mkdir(dirname(dir), { recursive: true });
  // Built aside and renamed: two runs fetching at once never see a half-written cache.
  const stage = await mkdtemp(`${dir}.fetch-`);
  const started = Date.now();
  try {
    log(`Fetching Temporal's time-skipping test server ${TEST_SERVER_VERSION} from Maven Central (once).`);
    await writeFile(join(stage, 'pom.xml'), POM);
    const fetched = await run(
      'mvn',
      ['-B', '-q', DEPENDENCY_PLUGIN, '-DincludeScope=runtime', `-DoutputDirectory=${join(stage, 'lib')}`],
      stage,
    ).catch((err: unknown) => {
      throw new TestServerUnavailableError(
        `Cannot run mvn (${err instanceof Error ? err.message : String(err)}): install Maven and Java 17+ ` +
          '(Debian: apt-get install maven openjdk-17-jre-headless); the fast workflow tests need them once.',
      );
    });
    if (fetched.code !== 0) {
      throw new TestServerUnavailableError(
        `mvn could not fetch io.temporal:temporal-test-server:${TEST_SERVER_VERSION} (exit ${fetched.code}):\n` +
          `${fetched.output.split('\n').slice(-15).join('\n')}\nCheck access to Maven Central (or a mirror in ~/.m2/settings.xml).`,
      );
    }
    const jars = (await readdir(join(stage, 'lib'))).filter((f) => f.endsWith('.jar')).sort();
    const classpath = jars.map((j) => join(dir, 'lib', j)).join(':');
    await writeFile(join(stage, 'classpath.txt'), classpath);
    await writeFile(join(stage, 'launcher.sh'), LAUNCHER);
    await chmod(join(stage, 'launcher.sh'), 0o755);
    await rename(stage, dir);
    try {
      await trainClassArchive(dir, classpath);
    } catch (err) {
      // Only a faster start is lost; the launcher runs without the archive.
      log(`  (no class archive: ${err instanceof Error ? err.message : String(err)})`);
    }
    log(`Test server ready in ${Math.round((Date.now() - started) / 1000)} s: ${launcher}`);
    return launcher;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}
