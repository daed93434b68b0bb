import assert from 'node:assert/strict';
import { selectPendingReruns, type PendingCandidate } from '../../src/activities/sweep.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('Pending reruns: which invoices a sweep reruns', () => {
  const now = Date.parse('2026-11-29T12:00:00Z');
  const window = { closedAfter: now - 7 * DAY, limit: 3, backoffMs: 5 * MIN };
  const c = (id: string, sinceAgo: number, closedAgo: number, reruns: number): PendingCandidate => ({
    togaiInvoiceId: id,
    since: now - sinceAgo,
    closedAt: now - closedAgo,
    reruns,
  });

  it('oldest pending first, so a sweep’s limit never starves the older invoices behind newer ones', () => {
    const candidates = [
      c('new', 1 * HOUR, 10 * MIN, 0),
      c('old', 5 * DAY, 2 * DAY, 3),
      c('mid', 1 * DAY, 1 * DAY, 1),
      c('older', 6 * DAY, 3 * DAY, 4),
    ];
    const { chosen, deferred, expired } = selectPendingReruns(candidates, now, window);
    assert.deepEqual(
      chosen.map((x) => x.togaiInvoiceId),
      ['older', 'old', 'mid'],
    );
    assert.equal(deferred, 1, 'the newest waits for a later sweep');
    assert.equal(expired, 0);
  });

  it('backs off per rerun: 5 min after the last run, doubling, at most a day', () => {
    const { chosen, deferred } = selectPendingReruns(
      [
        c('first-due', 2 * HOUR, 6 * MIN, 0), // 5 min back-off passed
        c('first-wait', 2 * HOUR, 4 * MIN, 0), // not yet
        c('fourth-wait', 2 * DAY, 30 * MIN, 3), // 40 min back-off
        c('tenth-due', 6 * DAY, 25 * HOUR, 10), // capped at a day
      ],
      now,
      { ...window, limit: 10 },
    );
    assert.deepEqual(chosen.map((x) => x.togaiInvoiceId).sort(), ['first-due', 'tenth-due']);
    assert.equal(deferred, 2);
  });

  it('gives up invoices pending for longer than the window, however recently they were rerun', () => {
    const { chosen, expired } = selectPendingReruns(
      [c('stale', 8 * DAY, 1 * DAY, 9), c('fresh', 1 * DAY, 1 * DAY, 1)],
      now,
      window,
    );
    assert.deepEqual(
      chosen.map((x) => x.togaiInvoiceId),
      ['fresh'],
    );
    assert.equal(expired, 1);
  });
});
