import assert from 'node:assert/strict';
import { SimClock } from '../../src/common/clock.js';
import { ConcurrencyLimiter, FixedWindowRateLimiter, RefusalCounters } from '../../src/common/limits.js';

describe('simulators/common clock and limits', () => {
  it('advancing the clock moves now() and fires due timers in order, not later ones', () => {
    const clock = new SimClock(() => 1_000_000);
    const fired: string[] = [];
    clock.setTimer(60_000, () => fired.push('b'));
    clock.setTimer(30_000, () => fired.push('a'));
    clock.setTimer(3_600_000, () => fired.push('late'));
    clock.advance(60_000);
    assert.deepEqual(fired, ['a', 'b']);
    assert.equal(clock.now(), 1_060_000);
    assert.equal(clock.pendingTimers(), 1);
    clock.clearAll();
    clock.advance(10 * 3_600_000);
    assert.deepEqual(fired, ['a', 'b']);
    assert.throws(() => clock.advance(-1), RangeError);
  });

  it('timers also fire in real time', async () => {
    const clock = new SimClock();
    await new Promise<void>((resolve) => clock.setTimer(5, resolve));
    assert.equal(clock.pendingTimers(), 0);
  });

  it('a real timer that wakes before the wall clock reaches the due time is armed again, never dropped', async () => {
    // Node's timers run on a monotonic clock; Date.now() can lag it. Here the wall clock stands
    // still while the real timer fires, then catches up.
    let wall = 5_000_000;
    const clock = new SimClock(() => wall);
    let fired = 0;
    clock.setTimer(20, () => fired++);
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(fired, 0, 'not due yet by the wall clock');
    assert.equal(clock.pendingTimers(), 1, 'still pending, not lost');
    wall += 20;
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(fired, 1);
    assert.equal(clock.pendingTimers(), 0);
  });

  it('fixed-window rate limiter: limit per window, remaining, reset after the window', () => {
    const clock = new SimClock(() => 0);
    const limiter = new FixedWindowRateLimiter(clock, 2, 60_000);
    assert.deepEqual(limiter.take(), { allowed: true, limit: 2, remaining: 1, resetSeconds: 60 });
    assert.equal(limiter.take().remaining, 0);
    clock.advance(15_000);
    assert.deepEqual(limiter.take(), { allowed: false, limit: 2, remaining: 0, resetSeconds: 45 });
    assert.equal(limiter.take('other-tenant').allowed, true);
    clock.advance(45_000);
    assert.equal(limiter.take().allowed, true);
  });

  it('concurrency limiter: refuses beyond the limit, release frees once, peak tracked', () => {
    const limiter = new ConcurrencyLimiter(2);
    const a = limiter.tryAcquire();
    const b = limiter.tryAcquire();
    assert.equal(b.remaining, 0);
    assert.equal(limiter.tryAcquire().acquired, false);
    a.release();
    a.release();
    assert.equal(limiter.current(), 1);
    assert.equal(limiter.tryAcquire().acquired, true);
    assert.equal(limiter.peak, 2);
  });

  it('refusal counters total by kind', () => {
    const c = new RefusalCounters();
    c.increment('rate');
    c.increment('rate');
    c.increment('concurrency');
    assert.deepEqual(c.snapshot(), { rate: 2, concurrency: 1, total: 3 });
    c.reset();
    assert.deepEqual(c.snapshot(), { total: 0 });
  });
});
