import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ensureTimeSkippingServer } from '../../src/devtools/test-server.js';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/shared/search-attributes.js';
import { testDataConverter } from './codec.js';

/**
 * One time-skipping environment (Temporal's Java test server, src/devtools/test-server.ts) for
 * the fast workflow tests, started on first use and torn down by the root hook. Timers skip ahead
 * whenever every workflow waits, so a flow that polls for an hour finishes in a second.
 *
 * Its clock only moves forward and jumps far ahead between tests: assert durations and orders,
 * never wall-clock times.
 */
let env: Promise<TestWorkflowEnvironment> | undefined;

export function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  env ??= (async () => {
    const path = await ensureTimeSkippingServer();
    const created = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path } },
      client: { dataConverter: testDataConverter },
    });
    // The Java server takes no --search-attribute flag: register them through the operator API.
    await created.connection.operatorService.addSearchAttributes({
      namespace: created.namespace ?? 'default',
      searchAttributes: Object.fromEntries(
        ALL_SEARCH_ATTRIBUTES.map((k) => {
          const type = encodeSearchAttributeIndexedValueType(k.type);
          if (type === undefined)
            throw new Error(`search attribute ${k.name}: no indexed type for ${k.type}`);
          return [k.name, type];
        }),
      ),
    });
    return created;
  })();
  return env;
}

export async function teardownTimeSkipping(): Promise<void> {
  const running = env;
  env = undefined;
  await (await running?.catch(() => undefined))?.teardown();
}
