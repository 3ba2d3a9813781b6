export interface Deadline {
  readonly timeout: number;
  /** Absolute deadline, on the `performance.now()` clock. */
  readonly deadline: number;
}

/**
 * Entries by key, each with a deadline, without a timer per entry and with one
 * map operation per add and per removal.
 *
 * Entries sit in the map in the order they started, and the sweep walks it
 * from the oldest. Here every entry has the same timeout, so deadlines come in
 * map order and the walk stops at the first entry not due; `PendingCalls`
 * widens that bound for mixed timeouts.
 */
export class DeadlineMap<K, V extends Deadline> {
  private readonly byKey = new Map<K, V>();

  get size(): number {
    return this.byKey.size;
  }

  add(key: K, value: V): void {
    this.byKey.set(key, value);
  }

  get(key: K): V | undefined {
    return this.byKey.get(key);
  }

  /** Returns whether `key` was there. */
  delete(key: K, _value: V): boolean {
    return this.byKey.delete(key);
  }

  /** Every entry, oldest first. */
  entries(): IterableIterator<[K, V]> {
    return this.byKey.entries();
  }

  /** Removes and returns every entry. */
  clear(): V[] {
    const all = [...this.byKey.values()];
    this.byKey.clear();
    return all;
  }

  /** Removes and hands over every entry whose deadline is at or before `now`. */
  expire(now: number, onExpired: (key: K, value: V) => void): void {
    const shortest = this.shortestTimeout();
    for (const [key, value] of this.byKey) {
      // `!(a > b)` rather than `a <= b`: a NaN deadline counts as due, not as never.
      if (!(value.deadline > now)) {
        this.delete(key, value);
        onExpired(key, value);
      } else if (value.deadline - value.timeout + shortest > now) {
        // Started less than the shortest timeout ago: no later entry can be due yet.
        break;
      }
    }
  }

  /**
   * The smallest timeout of the entries, which bounds the sweep. With one
   * timeout for all, the first entry not due ends it: `Infinity` says so.
   */
  protected shortestTimeout(): number {
    return Infinity;
  }
}
