import { MAX_LAST_ERROR_CHARS } from '../constants.js';

/**
 * The counters of one method for `$SRV.STATS`: plain number fields the
 * responder bumps on the route entry it already holds, so that measuring costs
 * no lookup and no allocation per request. Times are kept in milliseconds as
 * `performance.now()` gives them and turned into nanoseconds when reported.
 */
export class EndpointStats {
  /** Requests and publishes that reached the method and were settled. */
  requests = 0;
  errors = 0;
  /** The latest error text, at most `MAX_LAST_ERROR_CHARS` characters; `''` while there was none. */
  lastError = '';
  /** Total handler time, in ms. */
  time = 0;

  /** A call that ended well, after `ms` in its handler. */
  record(ms: number): void {
    this.requests++;
    this.time += ms;
  }

  /** A call that ended with `text` sent (or logged) as its error. */
  fail(ms: number, text: string): void {
    this.requests++;
    this.errors++;
    this.time += ms;
    this.lastError = cutText(text);
  }
}

/** `text`, cut to `MAX_LAST_ERROR_CHARS` characters with an ellipsis when longer. */
export function cutText(text: string): string {
  return text.length <= MAX_LAST_ERROR_CHARS ? text : `${text.slice(0, MAX_LAST_ERROR_CHARS - 1)}…`;
}

/** Milliseconds as whole nanoseconds, the micro protocol's unit. */
export function nanos(ms: number): number {
  return Math.round(ms * 1e6);
}

/**
 * The `error` text of an error envelope the responder sent (`{"error":"…"}`),
 * or the body itself when it is not one. Read only when a handler failed.
 */
export function envelopeErrorText(body: string): string {
  try {
    const error = (JSON.parse(body) as { error?: unknown }).error;
    return typeof error === 'string' ? error : body;
  } catch {
    return body;
  }
}
