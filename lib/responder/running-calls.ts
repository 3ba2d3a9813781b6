import type { Msg } from '@nats-io/transport-node';
import { DeadlineTimer } from '../deadlines/deadline-timer.js';
import type { PicomRoute } from '../routes/picom-route.js';
import type { ServerCall } from '../tracing/telemetry.calls.js';

/**
 * A handler whose result has not settled yet. Synchronous handlers never get
 * one: they are done before anything could time them out.
 */
export class RunningCall {
  /**
   * Set once the caller was answered without the result (its deadline or the
   * grace period passed) and the slot freed: the result, if it ever comes, is dropped.
   */
  abandoned = false;
  /** Its neighbours in `RunningCalls`, older and newer; `undefined` at either end and once out of it. */
  older: RunningCall | undefined = undefined;
  newer: RunningCall | undefined = undefined;

  constructor(
    readonly msg: Msg,
    readonly route: PicomRoute,
    /** `performance.now()` when the handler started; 0 when not measuring. */
    readonly started: number,
    /** Its span and metrics while traced. */
    readonly trace: ServerCall | undefined,
    /** The handler timeout, 0 for none; `deadline` is then `Infinity`. */
    readonly timeout: number,
    readonly deadline: number,
    /** Its Observable's last value was taken already: what the promise resolves with is the reply as is. */
    readonly unwrapped: boolean,
  ) {}
}

/**
 * The handlers with a result still to come, oldest first: one timer for all
 * their deadlines (`handlerTimeout`), and the list the end of the grace period
 * answers. A list linked through the calls themselves rather than a map: one
 * timeout for all puts deadlines in start order, so the sweep stops at the
 * first call not due, and a call leaves from anywhere without a lookup (a map
 * keyed by the message cost an identity hash in every message as well).
 */
export class RunningCalls {
  private oldest: RunningCall | undefined;
  private newest: RunningCall | undefined;
  private count = 0;
  private readonly timer = new DeadlineTimer((now) => this.sweep(now));

  constructor(
    /** Server-side deadline of one handler in ms; 0 means none. */
    private readonly handlerTimeout: number,
    /** Told of a call whose deadline passed, already marked abandoned and forgotten. */
    private readonly onTimedOut: (call: RunningCall) => void,
  ) {}

  get size(): number {
    return this.count;
  }

  start(msg: Msg, route: PicomRoute, started: number, trace: ServerCall | undefined, unwrapped: boolean): RunningCall {
    const timeout = this.handlerTimeout;
    const call = new RunningCall(msg, route, started, trace, timeout, timeout > 0 ? performance.now() + timeout : Infinity, unwrapped);
    const newest = this.newest;
    if (newest === undefined) {
      this.oldest = call;
    } else {
      newest.newer = call;
      call.older = newest;
    }
    this.newest = call;
    this.count++;
    this.timer.cover(call.deadline);
    return call;
  }

  /** Forgets a call whose result came; `false` when it was abandoned meanwhile (its result is then dropped). */
  finish(call: RunningCall): boolean {
    if (call.abandoned) {
      return false;
    }
    this.unlink(call);
    return true;
  }

  /** Abandons and forgets every call still running (the grace period is over). */
  abandonAll(): RunningCall[] {
    const calls: RunningCall[] = [];
    for (let call = this.oldest; call !== undefined; ) {
      const newer = call.newer;
      call.abandoned = true;
      call.older = call.newer = undefined;
      calls.push(call);
      call = newer;
    }
    this.oldest = this.newest = undefined;
    this.count = 0;
    this.timer.disarm();
    return calls;
  }

  private unlink(call: RunningCall): void {
    const { older, newer } = call;
    if (older === undefined) {
      this.oldest = newer;
    } else {
      older.newer = newer;
    }
    if (newer === undefined) {
      this.newest = older;
    } else {
      newer.older = older;
    }
    call.older = call.newer = undefined;
    this.count--;
  }

  private sweep(now: number): void {
    let call = this.oldest;
    // `!(a > b)`: a NaN deadline counts as due, not as never.
    while (call !== undefined && !(call.deadline > now)) {
      this.unlink(call);
      call.abandoned = true;
      this.onTimedOut(call);
      call = this.oldest;
    }
    if (call !== undefined) {
      this.timer.arm(call.deadline, now);
    }
  }
}
