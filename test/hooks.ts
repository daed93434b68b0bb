/**
 * Mocha root hooks: one real Temporal dev server (the `temporal` CLI, in memory) for the whole
 * run, with the project's search attributes registered. Integration tests never fake Temporal.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from '../src/config.js';
import { ensureTemporalCli, TemporalCliUnavailableError } from '../src/devtools/temporal-cli.js';
import { ALL_SEARCH_ATTRIBUTES } from '../src/shared/search-attributes.js';
import { testDataConverter } from './helpers/codec.js';
import { teardownTimeSkipping } from './helpers/time-skipping.js';

let env: TestWorkflowEnvironment | undefined;

export function testEnv(): TestWorkflowEnvironment {
  if (!env) throw new Error('The Temporal test environment is not started (mocha root hook missing?)');
  return env;
}

async function executable(): Promise<{ type: 'existing-path'; path: string } | { type: 'cached-download' }> {
  const config = loadConfig(process.env);
  try {
    const cli = await ensureTemporalCli({ cliPath: config.temporal.cliPath });
    console.log(`Temporal dev server: ${cli.versionLine} [${cli.source}: ${cli.path}]`);
    return { type: 'existing-path', path: cli.path };
  } catch (err) {
    if (err instanceof TemporalCliUnavailableError && config.temporal.allowSdkDownload) {
      console.log('Temporal dev server: downloaded by the SDK (TEMPORAL_CLI_DOWNLOAD=1)');
      return { type: 'cached-download' };
    }
    throw err;
  }
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    // A cold `go install` is done by `npm test` before mocha; this allows for a direct mocha run.
    this.timeout(30 * 60_000);
    // Worker lifecycle chatter at INFO drowns the test report; warnings and errors still show.
    // Failed workflows and activities are what many tests provoke and then assert on; their WARN
    // lines (with stacks) would bury a real problem, so only those two messages are dropped.
    const expected = new Set(['Workflow failed', 'Activity failed']);
    Runtime.install({
      logger: new DefaultLogger('WARN', (entry) => {
        if (!expected.has(entry.message))
          console.error(`[${entry.level}] ${entry.message}`, entry.meta ?? '');
      }),
    });
    env = await TestWorkflowEnvironment.createLocal({
      // Payloads encrypted as in production (test/helpers/codec.ts): every test exercises the codec.
      client: { dataConverter: testDataConverter },
      server: {
        executable: await executable(),
        searchAttributes: ALL_SEARCH_ATTRIBUTES,
        log: { format: 'pretty', level: 'warn' },
      },
    });
    const info = await env.connection.workflowService.getSystemInfo({});
    console.log(`Temporal server ${info.serverVersion} ready at ${env.connection.options.address}`);
  },
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(60_000);
    const recordTo = process.env['RECORD_HISTORIES'];
    if (env && recordTo) {
      this.timeout(30 * 60_000);
      const { recordHistories } = await import('./helpers/record-histories.js');
      await recordHistories(env, recordTo);
    }
    await teardownTimeSkipping();
    await env?.teardown();
    env = undefined;
  },
};
