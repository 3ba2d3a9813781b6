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
  /**
   * The timeout most calls share and how many pending calls have it: counted
   * here, without a map operation per call. Every other timeout is counted in
   * `perTimeout`; a timeout is counted in one place only.
   */
  private usualTimeout = NaN;
  private usualCount = 0;
  /** Calls pending per other timeout value; entries at 0 are dropped by the sweep, not at once. */
  private readonly perTimeout = new Map<number, number>();

  override add(token: string, call: V): void {
    super.add(token, call);
    const timeout = call.timeout;
    if (Object.is(timeout, this.usualTimeout)) {
      this.usualCount++;
    } else if (this.usualCount === 0) {
      // The slot is free: this timeout takes it, with the calls counted for it so far.
      this.usualTimeout = timeout;
      this.usualCount = 1 + (this.perTimeout.get(timeout) ?? 0);
      this.perTimeout.delete(timeout);
    } else {
      this.perTimeout.set(timeout, (this.perTimeout.get(timeout) ?? 0) + 1);
    }
  }

  override delete(token: string, call: V): boolean {
    if (!super.delete(token, call)) {
      return false;
    }
    const timeout = call.timeout;
    if (Object.is(timeout, this.usualTimeout)) {
      this.usualCount--;
    } else {
      this.perTimeout.set(timeout, (this.perTimeout.get(timeout) as number) - 1);
    }
    return true;
  }

  override clear(): V[] {
    this.usualCount = 0;
    this.perTimeout.clear();
    return super.clear();
  }

  protected override shortestTimeout(): number {
    // Timeouts nobody waits on any more go (a caller computing a fresh timeout
    // per call must not grow this map); the smallest left bounds the walk.
    let shortest = this.usualCount > 0 ? this.usualTimeout : Infinity;
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
