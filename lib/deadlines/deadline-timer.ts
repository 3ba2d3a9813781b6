/** Least time between two wake-ups of a deadline timer: deadlines closer than this are expired together. */
export const DEADLINE_TICK_MS = 20;

/**
 * The one timer of a set of deadlines: asleep until the earliest deadline it
 * was told of, never sooner than `resolution` after it was armed, and never
 * keeping the process alive. Entries that end before it fires cost nothing.
 */
export class DeadlineTimer {
  private timer: NodeJS.Timeout | undefined;
  /** When the timer fires; `Infinity` while it is not armed. */
  private wakeAt = Infinity;
  private readonly fire = (): void => {
    this.timer = undefined;
    this.wakeAt = Infinity;
    this.onWake(performance.now());
  };

  constructor(
    /** Expires what is due at `now` and re-arms the timer for what is left. */
    private readonly onWake: (now: number) => void,
    /** Least time between two wake-ups: a run of deadlines a little apart is swept in batches. */
    private readonly resolution = DEADLINE_TICK_MS,
  ) {}

  /**
   * Makes sure the timer wakes by `deadline`. One comparison on the usual
   * path: with one timeout for all, a new deadline is later than the one the
   * timer waits for. `!(a >= b)`: a NaN deadline arms it too, and is due.
   */
  cover(deadline: number): void {
    if (!(deadline >= this.wakeAt - this.resolution)) {
      this.arm(deadline, performance.now());
    }
  }

  /** Sleeps until `at` (from `now`) unless already armed for earlier; `Infinity` leaves it asleep. */
  arm(at: number, now: number): void {
    if (at === Infinity || at >= this.wakeAt) {
      return;
    }
    clearTimeout(this.timer);
    // +1: timers run on the event loop's clock, which may lag `performance.now()`;
    // a wake-up a hair early would find nothing due and sleep a whole resolution.
    const wait = Math.ceil(at - now) + 1;
    const delay = wait > this.resolution ? wait : this.resolution;
    this.wakeAt = now + delay;
    this.timer = setTimeout(this.fire, delay).unref();
  }

  disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.wakeAt = Infinity;
  }
}
