import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes set by every sync workflow, so the Web UI and `temporal workflow list
 * --query` can filter syncs by connection, object and flow. They must be registered on the server
 * (the dev server gets them as `--search-attribute` flags, production via `temporal operator`).
 */
export const SA = {
  connectionId: defineSearchAttributeKey('TzsConnectionId', SearchAttributeType.KEYWORD),
  flow: defineSearchAttributeKey('TzsFlow', SearchAttributeType.KEYWORD),
  zuoraAccountId: defineSearchAttributeKey('TzsZuoraAccountId', SearchAttributeType.KEYWORD),
  togaiAccountId: defineSearchAttributeKey('TzsTogaiAccountId', SearchAttributeType.KEYWORD),
  togaiInvoiceId: defineSearchAttributeKey('TzsTogaiInvoiceId', SearchAttributeType.KEYWORD),
  skippedUsageLines: defineSearchAttributeKey('TzsSkippedUsageLines', SearchAttributeType.INT),
  /** Skipped usage lines a mapping can fix: the sweep reruns completed syncs that have some. */
  pendingUsageLines: defineSearchAttributeKey('TzsPendingUsageLines', SearchAttributeType.INT),
  /** When the invoice first had pending lines (UTC): the sweep reruns oldest first and gives up after its window. */
  pendingSince: defineSearchAttributeKey('TzsPendingSince', SearchAttributeType.DATETIME),
  /** How many times the sweep has rerun the sync for its pending lines: the back-off grows with it. */
  pendingReruns: defineSearchAttributeKey('TzsPendingReruns', SearchAttributeType.INT),
  /**
   * How a sync ended (src/flows/outcome.ts `SyncOutcome`): created, adopted, skipped, empty,
   * already-billed, failed or cancelled. Set when the run closes; a run of a version before issue 13
   * has none (its ExecutionStatus still says Completed or Failed).
   */
  outcome: defineSearchAttributeKey('TzsOutcome', SearchAttributeType.KEYWORD),
  /**
   * Why, as a kind (`OutcomeReasonKind`: flow-off, loop-guard, usage-lines-pending, …), or for a
   * failed run its failure type (src/shared/failures.ts): `TzsOutcome="failed" AND
   * TzsOutcomeReason="InvalidSourceData"` lists the syncs one fix can retry.
   */
  outcomeReason: defineSearchAttributeKey('TzsOutcomeReason', SearchAttributeType.KEYWORD),
} as const;

export const ALL_SEARCH_ATTRIBUTES = Object.values(SA);

/** `Name=Type` as the CLI's `--search-attribute` and `temporal operator search-attribute create` take it. */
export function searchAttributeCliArgs(): string[] {
  const cliType: Record<string, string> = {
    KEYWORD: 'Keyword',
    INT: 'Int',
    TEXT: 'Text',
    BOOL: 'Bool',
    DOUBLE: 'Double',
    DATETIME: 'Datetime',
    KEYWORD_LIST: 'KeywordList',
  };
  return ALL_SEARCH_ATTRIBUTES.flatMap((k) => [
    '--search-attribute',
    `${k.name}=${cliType[k.type] ?? 'Keyword'}`,
  ]);
}
