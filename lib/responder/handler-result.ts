/**
 * Reading what a handler hands back: a value or a thenable. Shared by the core
 * responder and the Nest server (which must not bring rxjs or Nest into the
 * core, so nothing here knows Observables).
 */

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
