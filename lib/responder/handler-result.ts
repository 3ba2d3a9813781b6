/**
 * Reading what a handler hands back: a value or a thenable, and failures of
 * any shape. Shared by the core responder and the Nest server (which must not
 * bring rxjs or Nest into the core, so nothing here knows Observables).
 */

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/**
 * A failure as one readable line for a log: an `Error`'s message, an object's
 * string `message` (Nest's exception filters hand over `{ status: 'error',
 * message }`), any other object as JSON, anything else as a string.
 */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    return err.message || String(err);
  }
  if (typeof err === 'object' && err !== null) {
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string') {
      return message;
    }
    try {
      const json = JSON.stringify(err);
      if (json !== undefined) {
        return json;
      }
    } catch {
      // a cycle or a BigInt: fall through
    }
  }
  try {
    return String(err);
  } catch {
    // An object without a usable toString (null prototype): a log line must not throw.
    return Object.prototype.toString.call(err);
  }
}
