import type { Msg } from '@nats-io/transport-node';
import { DeadlineMap } from '../deadlines/deadline-map.js';
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
 * answers.
 */
export class RunningCalls {
  private readonly calls: DeadlineMap<Msg, RunningCall>;

  constructor(
    /** Server-side deadline of one handler in ms; 0 means none. */
    private readonly handlerTimeout: number,
    /** Told of a call whose deadline passed, already marked abandoned and forgotten. */
    onTimedOut: (call: RunningCall) => void,
  ) {
    this.calls = new DeadlineMap((_msg, call) => {
      call.abandoned = true;
      onTimedOut(call);
    });
  }

  get size(): number {
    return this.calls.size;
  }

  start(msg: Msg, route: PicomRoute, started: number, trace: ServerCall | undefined, unwrapped: boolean): RunningCall {
    const timeout = this.handlerTimeout;
    const call = new RunningCall(msg, route, started, trace, timeout, timeout > 0 ? performance.now() + timeout : Infinity, unwrapped);
    this.calls.add(msg, call);
    return call;
  }

  /** Forgets a call whose result came; `false` when it was abandoned meanwhile (its result is then dropped). */
  finish(call: RunningCall): boolean {
    if (call.abandoned) {
      return false;
    }
    this.calls.delete(call.msg, call);
    return true;
  }

  /** Abandons and forgets every call still running (the grace period is over). */
  abandonAll(): RunningCall[] {
    const calls = this.calls.clear();
    for (const call of calls) {
      call.abandoned = true;
    }
    return calls;
  }
}
