import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { FLOW } from '../../src/flows/index.js';
import { PRODUCTION_WORKFLOWS_PATH } from '../../src/worker.js';
import { testDataConverter } from './codec.js';

/**
 * `RECORD_HISTORIES=<dir> npm test`: after the suite, saves the history of every closed run of a
 * production workflow type that replays on the production code (runs of test fixtures registered
 * under the same names do not), longest first, as `<type>-<status>-<n>-<events>ev.pb` (the history's protobuf encoding:
 * `historyToJSON` cannot serialise what `fetchHistory()` returns in this install). Copy a
 * few of each into test/fixtures/histories when a release changes workflow code, so the replay
 * test keeps every version's runs replayable.
 */
export async function recordHistories(env: TestWorkflowEnvironment, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const type of Object.values(FLOW)) {
    const kept: { status: string; events: number; bytes: Uint8Array }[] = [];
    for await (const wf of env.client.workflow.list({
      query: `WorkflowType="${type}" AND ExecutionStatus!="Running"`,
    })) {
      const history = await env.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      try {
        await Worker.runReplayHistory(
          {
            workflowsPath: PRODUCTION_WORKFLOWS_PATH,
            replayName: wf.workflowId,
            dataConverter: testDataConverter,
          },
          history,
        );
      } catch {
        continue; // a test fixture under a production name
      }
      kept.push({
        status: wf.status.name.toLowerCase(),
        events: history.events?.length ?? 0,
        bytes: proto.temporal.api.history.v1.History.encode(history).finish(),
      });
    }
    kept.sort((a, b) => b.events - a.events);
    kept.forEach((k, i) =>
      writeFileSync(join(dir, `${type}-${k.status}-${String(i).padStart(3, '0')}-${k.events}ev.pb`), k.bytes),
    );
    console.log(`recorded ${kept.length} ${type} histories in ${dir}`);
  }
}
