/**
 * Activities are built from their dependencies (clients, connection store) so tests can hand
 * in the same simulators production code talks to. Each flow's activities join this object.
 */
export type ActivityDeps = Record<string, never>;

export function createActivities(
  _deps: ActivityDeps,
): Record<string, (...args: never[]) => Promise<unknown>> {
  return {};
}
