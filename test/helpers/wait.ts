import assert from 'node:assert/strict';

/**
 * Polls `predicate` every 50 ms until it holds (a wait for what the server or a worker does next,
 * never a timing assertion), or fails after `ms` naming `what`.
 */
export async function eventually(
  predicate: () => boolean | Promise<boolean>,
  ms = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) assert.fail(`${what} not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
