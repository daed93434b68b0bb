import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineSignal,
  proxyActivities,
  setHandler,
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
 * The invoice admission queue (src/flows/invoice-admission.ts): invoices a webhook could not start
 * because the connection had its bound of syncs in flight wait here, oldest first, and are started
 * by `startInvoiceSyncs`, which waits for room before each start. A signal for an invoice already
 * queued is ignored; one already synced is answered `already-completed` by `startSync`. The run
 * ends when the queue stays empty for `idleMs` (the next deferred webhook starts a new one).
 */

export const queueTogaiInvoices = defineSignal<[QueuedTogaiInvoice[]]>(invoiceAdmission.queueSignal);

const start = proxyActivities<SweepActivities>(invoiceAdmission.startActivityOptions);

export async function admitTogaiInvoices(input: AdmitTogaiInvoicesInput): Promise<AdmitTogaiInvoicesResult> {
  checkInput('admitTogaiInvoices', input);
  const { connectionId, idleMs = invoiceAdmission.idleMs } = input;
  const queue: QueuedTogaiInvoice[] = [...(input.queued ?? [])];
  const queued = new Set(queue.map((q) => q.togaiInvoiceId));
  setHandler(queueTogaiInvoices, (invoices) => {
    for (const invoice of invoices) {
      if (queued.has(invoice.togaiInvoiceId)) continue;
      queued.add(invoice.togaiInvoiceId);
      queue.push(invoice);
    }
  });

  let admitted = 0;
  for (;;) {
    if (!(await condition(() => queue.length > 0, idleMs))) break;
    const batch = queue.splice(0, invoiceAdmission.batchSize);
    await start.startInvoiceSyncs({
      connectionId,
      invoiceIds: batch.map((q) => q.togaiInvoiceId),
      concurrency: 1,
      trigger: 'togai-webhook',
    });
    for (const q of batch) queued.delete(q.togaiInvoiceId);
    admitted += batch.length;
    if (admitted >= invoiceAdmission.startsPerRun || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof admitTogaiInvoices>({ connectionId, queued: queue, idleMs });
    }
  }
  await condition(allHandlersFinished);
  return { admitted };
}
