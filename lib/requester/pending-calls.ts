/**
 * The calls waiting for a reply, by token, and their deadlines, without a
 * timer per call and with one map operation per add and per removal.
 *
 * Calls sit in the map in the order they started. The sweep walks it from the
 * oldest: a call is due once its deadline has passed, and the walk stops at
 * the first call that started less than the smallest pending timeout ago, as
 * no call after it can be due yet. With one timeout for every call (the usual
 * case) that is the first call not due; mixed timeouts walk a little further.
 */
export interface Deadline {
  readonly timeout: number;
  /** Absolute deadline, on the `performance.now()` clock. */
  readonly deadline: number;
}

export class PendingCalls<V extends Deadline> {
  private readonly calls = new Map<string, V>();
  /** Calls pending per timeout value; entries at 0 are dropped by the sweep, not at once. */
  private readonly perTimeout = new Map<number, number>();

  get size(): number {
    return this.calls.size;
  }

  add(token: string, call: V): void {
    this.calls.set(token, call);
    this.perTimeout.set(call.timeout, (this.perTimeout.get(call.timeout) ?? 0) + 1);
  }

  get(token: string): V | undefined {
    return this.calls.get(token);
  }

  delete(token: string, call: V): void {
    if (this.calls.delete(token)) {
      this.perTimeout.set(call.timeout, (this.perTimeout.get(call.timeout) as number) - 1);
    }
  }

  entries(): IterableIterator<[string, V]> {
    return this.calls.entries();
  }

  /** Removes and returns every call. */
  clear(): V[] {
    const all = [...this.calls.values()];
    this.calls.clear();
    this.perTimeout.clear();
    return all;
  }

  /** Removes and hands over every call whose deadline is at or before `now`. */
  expire(now: number, onExpired: (token: string, call: V) => void): void {
    // Timeouts nobody waits on any more go (a caller computing a fresh timeout
    // per call must not grow this map); the smallest left bounds the walk.
    let shortest = Infinity;
    for (const [timeout, count] of this.perTimeout) {
      if (count === 0) {
        this.perTimeout.delete(timeout);
      } else if (timeout < shortest) {
        shortest = timeout;
      }
    }
    for (const [token, call] of this.calls) {
      // `!(a > b)` rather than `a <= b`: a NaN deadline counts as due, not as never.
      if (!(call.deadline > now)) {
        this.delete(token, call);
        onExpired(token, call);
      } else if (call.deadline - call.timeout + shortest > now) {
        break;
      }
    }
  }
}
