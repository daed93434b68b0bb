import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { SweepActivities } from '../activities/sweep.js';
import {
  invoiceAdmission,
  type AdmitTogaiInvoicesInput,
  type AdmitTogaiInvoicesResult,
  type QueuedTogaiInvoice,
} from '../flows/index.js';
import { checkInput } from './input.js';

/**
 * The invoice admission queue (src/flows/invoice-admission.ts): invoices that could not start
 * because their connection had its bound of syncs in flight wait here, oldest first. Each batch
 * goes to `startInvoiceSyncs`, which starts what the bound allows and gives the rest back; those
 * wait on a workflow timer (1 s doubling to 10 s), never in an activity slot. A batch whose
 * activity fails goes back to the front and is tried again: nothing queued is ever dropped. A
 * signal for an invoice already queued is ignored; one already synced is answered
 * `already-completed` by `startSync`. The run ends when the queue stays empty for `idleMs`; it
 * continues as new after `startsPerRun` starts or `signalsPerRun` signals, carrying the queue.
 */

export const queueTogaiInvoices = defineSignal<[QueuedTogaiInvoice[]]>(invoiceAdmission.queueSignal);

/** What waits, oldest first: `temporal workflow query --workflow-id togai-invoice-admission:<conn> --name queued`. */
export const queuedQuery = defineQuery<QueuedTogaiInvoice[]>(invoiceAdmission.queuedQuery);

const start = proxyActivities<SweepActivities>(invoiceAdmission.startActivityOptions);

export async function admitTogaiInvoices(input: AdmitTogaiInvoicesInput): Promise<AdmitTogaiInvoicesResult> {
  checkInput('admitTogaiInvoices', input);
  const { connectionId, idleMs = invoiceAdmission.idleMs } = input;
  const queue: QueuedTogaiInvoice[] = [...(input.queued ?? [])];
  const queued = new Set(queue.map((q) => q.togaiInvoiceId));
  // The batch being started counts as waiting until its answer is in.
  let inFlight: QueuedTogaiInvoice[] = [];
  setHandler(queuedQuery, () => [...inFlight, ...queue]);
  let signals = 0;
  setHandler(queueTogaiInvoices, (invoices) => {
    signals++;
    for (const invoice of invoices) {
      if (queued.has(invoice.togaiInvoiceId)) continue;
      queued.add(invoice.togaiInvoiceId);
      queue.push(invoice);
    }
  });

  let admitted = input.admitted ?? 0;
  let startsThisRun = 0;
  let wait = 1_000;
  for (;;) {
    if (!(await condition(() => queue.length > 0, idleMs))) break;
    const batch = queue.splice(0, invoiceAdmission.batchSize);
    inFlight = batch;
    let back: QueuedTogaiInvoice[];
    try {
      const res = await start.startInvoiceSyncs({
        connectionId,
        invoiceIds: [],
        invoices: batch,
        concurrency: 1,
        trigger: 'togai-webhook',
        whenFull: 'return',
      });
      back = res.deferred ?? [];
    } catch (err) {
      // Retries exhausted (Temporal unreachable for minutes, a worker without a client): keep the
      // batch and try again later rather than lose invoices already answered "queued".
      log.warn('startInvoiceSyncs failed; the batch stays queued', { error: String(err) });
      back = batch;
      wait = invoiceAdmission.maxWaitMs;
    }
    inFlight = [];
    const deferredIds = new Set(back.map((q) => q.togaiInvoiceId));
    for (const q of batch) if (!deferredIds.has(q.togaiInvoiceId)) queued.delete(q.togaiInvoiceId);
    queue.unshift(...back);
    const startedNow = batch.length - back.length;
    admitted += startedNow;
    startsThisRun += startedNow;
    if (back.length > 0) {
      await sleep(wait);
      wait = Math.min(wait * 2, invoiceAdmission.maxWaitMs);
    } else {
      wait = 1_000;
    }
    if (
      startsThisRun >= invoiceAdmission.startsPerRun ||
      signals >= invoiceAdmission.signalsPerRun ||
      workflowInfo().continueAsNewSuggested
    ) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof admitTogaiInvoices>({ connectionId, queued: queue, idleMs, admitted });
    }
  }
  await condition(allHandlersFinished);
  return { admitted };
}
