import { proxyActivities } from '@temporalio/workflow';

/** The server ceiling's workload: a workflow with one activity that does nothing. */
const { benchNoop } = proxyActivities<{ benchNoop(): Promise<void> }>({ startToCloseTimeout: '1 minute' });

export async function benchNoopWorkflow(): Promise<void> {
  await benchNoop();
}
