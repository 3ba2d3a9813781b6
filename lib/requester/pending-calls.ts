import { DeadlineMap, type Deadline } from '../deadlines/deadline-map.js';

/**
 * The calls waiting for a reply, by token, and their deadlines. Each call has
 * its own timeout, so deadlines are not in start order: the sweep walks on past
 * calls not due until the first one that started less than the smallest
 * pending timeout ago, as no call after it can be due yet. With one timeout for
 * every call (the usual case) that is the first call not due; mixed timeouts
 * walk a little further.
 */
export class PendingCalls<V extends Deadline> extends DeadlineMap<string, V> {
  /** Calls pending per timeout value; entries at 0 are dropped by the sweep, not at once. */
  private readonly perTimeout = new Map<number, number>();

  override add(token: string, call: V): void {
    super.add(token, call);
    this.perTimeout.set(call.timeout, (this.perTimeout.get(call.timeout) ?? 0) + 1);
  }

  override delete(token: string, call: V): boolean {
    if (!super.delete(token, call)) {
      return false;
    }
    this.perTimeout.set(call.timeout, (this.perTimeout.get(call.timeout) as number) - 1);
    return true;
  }

  override clear(): V[] {
    this.perTimeout.clear();
    return super.clear();
  }

  protected override shortestTimeout(): number {
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
    return shortest;
  }
}
