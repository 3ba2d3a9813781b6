/** Least time between two wake-ups of a deadline timer: deadlines closer than this are expired together. */
export const DEADLINE_TICK_MS = 20;

export interface Deadline {
  readonly timeout: number;
  /** Absolute deadline, on the `performance.now()` clock. */
  readonly deadline: number;
}

/**
 * Entries by key, each with a deadline, without a timer per entry and with one
 * map operation per add and per removal. One timer for the whole map sleeps
 * until the earliest deadline it knows of; entries that end before it cost
 * nothing, so calls that all finish in time wake it about once per timeout
 * rather than on a fixed tick.
 *
 * Entries sit in the map in the order they started, and the sweep walks it
 * from the oldest. Here every entry has the same timeout, so deadlines come in
 * map order and the walk stops at the first entry not due; `PendingCalls`
 * widens that bound for mixed timeouts.
 */
export class DeadlineMap<K, V extends Deadline> {
  private readonly byKey = new Map<K, V>();
  private timer: NodeJS.Timeout | undefined;
  /** When the timer fires; `Infinity` while it is not armed. */
  private wakeAt = Infinity;
  private readonly sweepNow = (): void => this.sweep();

  constructor(
    /** Told of each entry removed because its deadline passed. */
    private readonly onExpired: (key: K, value: V) => void,
    /**
     * Least time between two wake-ups: a run of deadlines a little apart (a
     * dead server failing calls one after another) is swept in batches.
     */
    private readonly resolution = DEADLINE_TICK_MS,
  ) {}

  get size(): number {
    return this.byKey.size;
  }

  add(key: K, value: V): void {
    this.byKey.set(key, value);
    // One comparison on the usual path: with one timeout for all, a new
    // deadline is later than the one the timer waits for. `!(a >= b)`: a NaN
    // deadline arms it too, and the sweep takes it as due.
    if (!(value.deadline >= this.wakeAt - this.resolution)) {
      this.arm(value.deadline, performance.now());
    }
  }

  get(key: K): V | undefined {
    return this.byKey.get(key);
  }

  /**
   * Returns whether `key` was there. The timer stays armed: it finds nothing
   * due and sleeps on, which is cheaper than re-arming it per call.
   */
  delete(key: K, _value: V): boolean {
    return this.byKey.delete(key);
  }

  /** Every entry, oldest first. */
  entries(): IterableIterator<[K, V]> {
    return this.byKey.entries();
  }

  /** Removes and returns every entry, and stops the timer. */
  clear(): V[] {
    const all = [...this.byKey.values()];
    this.byKey.clear();
    this.disarm();
    return all;
  }

  /**
   * The smallest timeout of the entries, which bounds the sweep. With one
   * timeout for all, the first entry not due ends it: `Infinity` says so.
   */
  protected shortestTimeout(): number {
    return Infinity;
  }

  /** Hands over every entry due, then sleeps until the next deadline, or stops when none is left. */
  protected sweep(): void {
    this.timer = undefined;
    this.wakeAt = Infinity;
    const now = performance.now();
    const next = this.expire(now);
    // An entry added by `onExpired` may have armed the timer already.
    if (this.byKey.size > 0 && next < this.wakeAt) {
      this.arm(next, now);
    }
  }

  /**
   * Removes and hands over every entry whose deadline is at or before `now`;
   * returns the earliest time another one can be due (`Infinity`: never).
   */
  private expire(now: number): number {
    const shortest = this.shortestTimeout();
    let next = Infinity;
    for (const [key, value] of this.byKey) {
      // `!(a > b)` rather than `a <= b`: a NaN deadline counts as due, not as never.
      if (!(value.deadline > now)) {
        this.delete(key, value);
        this.onExpired(key, value);
        continue;
      }
      next = Math.min(next, value.deadline);
      const started = value.deadline - value.timeout;
      if (started + shortest > now) {
        // Started less than the shortest timeout ago: no later entry can be
        // due before it would be, had it the shortest timeout.
        return Math.min(next, started + shortest);
      }
    }
    return next;
  }

  private arm(at: number, now: number): void {
    if (at === Infinity) {
      return;
    }
    clearTimeout(this.timer);
    // +1: timers run on the event loop's clock, which may lag `performance.now()`;
    // a wake-up a hair early would find nothing due and sleep a whole resolution.
    const wait = Math.ceil(at - now) + 1;
    const delay = wait > this.resolution ? wait : this.resolution;
    this.wakeAt = now + delay;
    // unref: deadlines never keep a process alive on their own.
    this.timer = setTimeout(this.sweepNow, delay).unref();
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.wakeAt = Infinity;
  }
}
