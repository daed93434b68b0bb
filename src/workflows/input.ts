import { ApplicationFailure } from '@temporalio/workflow';
import { checkFields, INPUT_RULES } from '../flows/inputs.js';
import { FAILURE } from '../shared/failures.js';

/**
 * The workflow's input checked against its contract (src/flows/inputs.ts) in its first task.
 * Throws a non-retryable `InvalidWorkflowInput` ApplicationFailure whose message names every bad
 * field (`pageSize: expected an integer from 1 to 50`), so the Web UI shows what to fix and the run
 * fails at once instead of retrying a workflow task forever. Field values are not echoed: inputs
 * can carry customer identifiers.
 */
export function checkInput(workflowType: string, input: unknown): void {
  const rules = INPUT_RULES[workflowType];
  if (rules === undefined) throw new Error(`no input rules for workflow type ${workflowType}`);
  const problems = checkFields(rules, input);
  if (problems.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `${workflowType}: invalid input: ${problems.join('; ')}`,
      FAILURE.InvalidWorkflowInput,
    );
  }
}
