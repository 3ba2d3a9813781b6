/**
 * Deadlines of pending calls without a timer per call. Calls are grouped by
 * their timeout: within a group, insertion order is deadline order, so one
 * sweep only looks at the calls that have expired plus one per group.
 */
export interface Deadline {
  /** Absolute deadline, on the `performance.now()` clock. */
  deadline: number;
}

export class DeadlineQueue<K, V extends Deadline> {
  private readonly groups = new Map<number, Map<K, V>>();

  add(key: K, value: V, timeout: number): void {
    let group = this.groups.get(timeout);
    if (group === undefined) {
      group = new Map();
      this.groups.set(timeout, group);
    }
    group.set(key, value);
  }

  delete(key: K, timeout: number): void {
    this.groups.get(timeout)?.delete(key);
  }

  /** Removes and hands over every entry whose deadline is at or before `now`. */
  expire(now: number, onExpired: (key: K, value: V) => void): void {
    for (const [timeout, group] of this.groups) {
      for (const [key, value] of group) {
        if (value.deadline > now) {
          break;
        }
        group.delete(key);
        onExpired(key, value);
      }
      if (group.size === 0) {
        this.groups.delete(timeout);
      }
    }
  }

  clear(): void {
    this.groups.clear();
  }
}
