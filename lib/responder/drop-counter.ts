/**
 * Counts one kind of message a service could not handle or answer, and reports
 * them at most once per `interval` ms: a flood (a hostile or runaway peer) must
 * not become a flood of log lines, yet every drop is counted and logged. The
 * first drop after a quiet interval is written at once; the ones that follow
 * within the interval are summed and written when it ends, by a single timer
 * that exists only while such a line is due.
 *
 * `T` is what a line says about the latest drop (a size, a reason).
 */
export class DropCounter<T> {
  /** Every drop so far. */
  total = 0;
  private unlogged = 0;
  private latest: T | undefined;
  /** `performance.now()` before which no line is written. */
  private quietUntil = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private readonly flushNow = (): void => this.flush();

  /** `write` gets the drops since the previous line, the total, and the latest one's detail. */
  constructor(
    private readonly interval: number,
    private readonly write: (count: number, total: number, latest: T) => void,
  ) {}

  add(latest: T): void {
    this.total++;
    this.unlogged++;
    this.latest = latest;
    if (this.timer !== undefined) {
      return;
    }
    const now = performance.now();
    if (now >= this.quietUntil) {
      this.flush();
    } else {
      // unref: a line still due never keeps a process alive; close() writes it.
      this.timer = setTimeout(this.flushNow, this.quietUntil - now).unref();
    }
  }

  /** Writes the drops not logged yet, now (on close, so that none goes unreported). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.unlogged === 0) {
      return;
    }
    const count = this.unlogged;
    this.unlogged = 0;
    this.quietUntil = performance.now() + this.interval;
    this.write(count, this.total, this.latest as T);
  }
}
