import { MAX_LAST_ERROR_CHARS } from '../constants.js';

/**
 * The counters of one method: plain number fields bumped on the route entry
 * the responder already holds, so that measuring costs no lookup and no
 * allocation per request. Discovery reports them (`$SRV.STATS`). Times are in
 * milliseconds as `performance.now()` gives them.
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
