import { backfill, BACKFILL_KINDS } from './backfill.js';
import { invoiceAdmission } from './invoice-admission.js';
import { invoiceSweep } from './invoice-sweep.js';
import { reconciliation } from './reconciliation.js';
import { togaiAccountToZuora } from './togai-account-to-zuora.js';
import { togaiInvoiceToZuora } from './togai-invoice-to-zuora.js';
import { zuoraAccountToTogai } from './zuora-account-to-togai.js';
import type { SyncTrigger } from './common.js';

/**
 * Each workflow's input as a list of field rules, checked in the workflow's first task
 * (src/workflows/input.ts) so that a hand-started run with a wrong input (Temporal CLI, Web UI, a
 * backfill script) fails at once with `InvalidWorkflowInput` naming each field, instead of a
 * workflow task retrying forever. Unknown fields pass: runs started by a newer or older version
 * replay with their inputs. Plain rules rather than zod: validation libraries stay out of the
 * workflow bundle (workflow-boundaries.json), and these inputs are flat.
 */

/** A rule: `undefined` when the value is acceptable, else what it must be. */
export type FieldRule = (value: unknown) => string | undefined;

/** Ids become parts of `kind:{connection}:{id}` workflow IDs (the gateway's rule): no colons or spaces. */
const ID_PATTERN = /^[^\s:]{1,128}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;
/** Every trigger, checked complete by the compiler against `SyncTrigger`. */
const TRIGGER_SET: Record<SyncTrigger, true> = {
  'zuora-callout': true,
  'togai-webhook': true,
  sweep: true,
  backfill: true,
  reconcile: true,
  manual: true,
  child: true,
};
const TRIGGERS: readonly string[] = Object.keys(TRIGGER_SET);

const id: FieldRule = (v) =>
  typeof v === 'string' && ID_PATTERN.test(v)
    ? undefined
    : 'expected an id of 1-128 characters without spaces or colons';
const trigger: FieldRule = (v) =>
  typeof v === 'string' && TRIGGERS.includes(v) ? undefined : `expected one of ${TRIGGERS.join(', ')}`;
const text: FieldRule = (v) => (typeof v === 'string' ? undefined : 'expected a string');
const bool: FieldRule = (v) => (typeof v === 'boolean' ? undefined : 'expected true or false');
const int =
  (min: number, max = Number.MAX_SAFE_INTEGER, unit = ''): FieldRule =>
  (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
      ? undefined
      : `expected an integer${unit} from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}`;
const ms = int(0, Number.MAX_SAFE_INTEGER, ' of milliseconds');
const isoTime: FieldRule = (v) =>
  typeof v === 'string' && ISO_TIME.test(v) && Number.isFinite(Date.parse(v))
    ? undefined
    : 'expected an ISO-8601 time with offset (2026-11-01T00:00:00Z)';
const epochOrIso: FieldRule = (v) =>
  ms(v) === undefined || isoTime(v) === undefined
    ? undefined
    : 'expected epoch milliseconds or an ISO-8601 time with offset (2026-11-01T00:00:00Z)';
const oneOf =
  (values: readonly string[]): FieldRule =>
  (v) =>
    typeof v === 'string' && values.includes(v) ? undefined : `expected one of ${values.join(', ')}`;
const object =
  (fields: Fields): FieldRule =>
  (v) => {
    const problems = checkFields(fields, v);
    return problems.length === 0 ? undefined : problems.join(', ');
  };
const list =
  (item: FieldRule): FieldRule =>
  (v) => {
    if (!Array.isArray(v)) return 'expected a list';
    for (const [i, x] of v.entries()) {
      const p = item(x);
      if (p !== undefined) return `item ${i}: ${p}`;
    }
    return undefined;
  };

/** Field name → rule; a name ending in `?` may be absent. */
type Fields = Record<string, FieldRule>;

/** The problems of `input` under `fields`, as `field: what it must be`; empty when it passes. */
export function checkFields(fields: Fields, input: unknown): string[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return ['(input): expected a JSON object'];
  }
  const record = input as Record<string, unknown>;
  const problems: string[] = [];
  for (const [key, rule] of Object.entries(fields)) {
    const optional = key.endsWith('?');
    const name = optional ? key.slice(0, -1) : key;
    const value = record[name];
    if (value === undefined) {
      if (!optional) problems.push(`${name}: required`);
      continue;
    }
    const problem = rule(value);
    if (problem !== undefined) problems.push(`${name}: ${problem}`);
  }
  return problems;
}

/** The input rules of each workflow type (the contracts' input types, src/flows/*). */
export const INPUT_RULES: Record<string, Fields> = {
  [zuoraAccountToTogai.workflowType]: {
    connectionId: id,
    zuoraAccountId: id,
    trigger,
    'notificationId?': text,
  },
  [togaiAccountToZuora.workflowType]: { connectionId: id, togaiAccountId: id, trigger, 'eventId?': text },
  [togaiInvoiceToZuora.workflowType]: {
    connectionId: id,
    togaiInvoiceId: id,
    trigger,
    'eventId?': text,
    'pending?': object({ since: isoTime, reruns: int(0) }),
  },
  [invoiceSweep.workflowType]: {
    connectionId: id,
    'since?': epochOrIso,
    'overlapMs?': ms,
    'initialLookbackMs?': ms,
    'pageSize?': int(1, 50),
    'pagesPerBatch?': int(1),
    'concurrency?': int(1, 100),
    'batchesPerRun?': int(1),
    'pendingLookbackMs?': ms,
    'pendingBackoffMs?': ms,
    'pendingRerunLimit?': int(0),
    'resume?': object({ statusIndex: int(0), since: int(0), checkpoint: int(0) }),
  },
  [reconciliation.workflowType]: {
    connectionId: id,
    'since?': isoTime,
    'until?': isoTime,
    'repair?': bool,
    'lookbackDays?': int(1, 400),
    'zuoraPageSize?': int(1, 99),
    'togaiPageSize?': int(1, 50),
    'pagesPerCall?': int(1, 100),
    'maxItemsPerKind?': int(1, 10_000),
    'callsPerRun?': int(1),
    'resume?': object({ pass: int(0), since: isoTime, until: isoTime, repair: bool }),
  },
  [invoiceAdmission.workflowType]: {
    connectionId: id,
    'queued?': list(object({ togaiInvoiceId: id, 'eventId?': text })),
    'idleMs?': int(1_000, Number.MAX_SAFE_INTEGER, ' of milliseconds'),
    'admitted?': int(0),
  },
  [backfill.workflowType]: {
    connectionId: id,
    kind: oneOf(BACKFILL_KINDS),
    'since?': isoTime,
    'until?': isoTime,
    'dryRun?': bool,
    'concurrency?': int(1, 100),
    'pageSize?': int(1, 50),
    'pagesPerRun?': int(1),
    'resume?': object({ part: int(0), listingDone: bool, queue: list(id) }),
  },
};
