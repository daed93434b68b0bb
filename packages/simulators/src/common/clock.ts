/**
 * A clock tests can move forward. Simulated time is real time plus an offset, so a simulator left
 * alone behaves normally (tokens expire, windows roll over) while a test can jump 24 h ahead in
 * one call. Timers scheduled on it fire when either real time or an `advance` reaches them, which
 * lets callout retries "30 minutes apart" run in milliseconds.
 */
export class SimClock {
  private offsetMs = 0;
  private nextTimerId = 1;
  private readonly timers = new Map<number, { dueAt: number; fn: () => void; handle: NodeJS.Timeout }>();

  constructor(private readonly realNow: () => number = Date.now) {}

  /** Simulated epoch milliseconds. */
  now(): number {
    return this.realNow() + this.offsetMs;
  }

  /** Simulated time as a Date. */
  date(): Date {
    return new Date(this.now());
  }

  /** Moves simulated time forward (never back) and fires every timer now due, in due order. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(`advance needs a non-negative duration, got ${ms}`);
    this.offsetMs += ms;
    this.fireDue();
  }

  /** Runs `fn` once simulated time reaches `now() + delayMs`. Returns an id for `clearTimer`. */
  setTimer(delayMs: number, fn: () => void): number {
    const id = this.nextTimerId++;
    const dueAt = this.now() + Math.max(0, delayMs);
    this.timers.set(id, { dueAt, fn, handle: this.arm(id, Math.max(0, delayMs)) });
    return id;
  }

  /**
   * A real timer for `id` that fires it when due. Node's timers run on a monotonic clock and may
   * wake a millisecond before `Date.now()` reaches the due time: such a timer is armed again for
   * the rest, never dropped (a dropped callout retry was a lost delivery).
   */
  private arm(id: number, delayMs: number): NodeJS.Timeout {
    // unref: a pending retry must not keep a test process or a stopped simulator alive.
    return setTimeout(() => {
      this.fireDue();
      const t = this.timers.get(id);
      if (t) t.handle = this.arm(id, Math.max(1, t.dueAt - this.now()));
    }, delayMs).unref();
  }

  /** Cancels a timer; unknown ids are ignored. */
  clearTimer(id: number): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t.handle);
    this.timers.delete(id);
  }

  /** Cancels every timer (simulator reset or close). */
  clearAll(): void {
    for (const t of this.timers.values()) clearTimeout(t.handle);
    this.timers.clear();
  }

  /** Number of timers not yet fired. */
  pendingTimers(): number {
    return this.timers.size;
  }

  private fireDue(): void {
    const now = this.now();
    const due = [...this.timers.entries()]
      .filter(([, t]) => t.dueAt <= now)
      .sort((a, b) => a[1].dueAt - b[1].dueAt);
    for (const [id, t] of due) {
      this.timers.delete(id);
      clearTimeout(t.handle);
      t.fn();
    }
  }
}
