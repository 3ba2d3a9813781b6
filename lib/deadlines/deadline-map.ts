import { DEADLINE_TICK_MS, DeadlineTimer } from './deadline-timer.js';

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
  private readonly timer: DeadlineTimer;

  constructor(
    /** Told of each entry removed because its deadline passed. */
    private readonly onExpired: (key: K, value: V) => void,
    /**
     * Least time between two wake-ups: a run of deadlines a little apart (a
     * dead server failing calls one after another) is swept in batches.
     */
    resolution = DEADLINE_TICK_MS,
  ) {
    this.timer = new DeadlineTimer((now) => this.sweep(now), resolution);
  }

  get size(): number {
    return this.byKey.size;
  }

  add(key: K, value: V): void {
    this.byKey.set(key, value);
    this.timer.cover(value.deadline);
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
    this.timer.disarm();
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
  protected sweep(now: number): void {
    const next = this.expire(now);
    // An entry added by `onExpired` may have armed the timer already, for earlier.
    if (this.byKey.size > 0) {
      this.timer.arm(next, now);
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
}
