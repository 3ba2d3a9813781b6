/**
 * Reading what a handler hands back: a value, a thenable, or (for the Nest
 * layer) an Observable, whose last value is the reply. The one place that
 * knows these shapes, for the core responder and the Nest server alike. The
 * core never imports rxjs: an Observable is recognised by its shape, as rxjs'
 * own `isObservable` does.
 */

/** What the responder needs of an Observable. */
export interface ObservableLike {
  subscribe(observer: { next: (value: unknown) => void; error: (err: unknown) => void; complete: () => void }): unknown;
}

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/** rxjs' test (`lift` and `subscribe` functions), so that any copy of rxjs in the process qualifies. */
export function isObservableLike(value: unknown): value is ObservableLike {
  const candidate = value as { lift?: unknown; subscribe?: unknown } | null;
  return typeof candidate?.subscribe === 'function' && typeof candidate.lift === 'function';
}

/** The last value `source` emits before it completes (`undefined` when it emitted none), or its error. */
export function lastValue(source: ObservableLike): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let last: unknown;
    source.subscribe({
      next: (value) => (last = value),
      error: reject,
      complete: () => resolve(last),
    });
  });
}

/**
 * A handler's result as its reply value, or a promise of it: an Observable
 * (as it is or as a promise resolves) gives its last value, once.
 */
export function replyValue(result: unknown): unknown {
  if (isObservableLike(result)) {
    return lastValue(result);
  }
  if (isPromiseLike(result)) {
    return Promise.resolve(result).then((value) => (isObservableLike(value) ? lastValue(value) : value));
  }
  return result;
}
