import { PicomError } from './picom.error.js';

/** Envelope fields that can never become properties of the error. */
const RESERVED = new Set(['error', 'payload', 'name', 'message', 'stack', 'cause']);

/**
 * The remote handler failed: `message` is the envelope's `error` text and every
 * other envelope field (a `code`, details) is copied onto the error as an own
 * property.
 *
 * @publicApi
 */
export class PicomRemoteError extends PicomError {
  /** Subject of the call that failed. */
  declare readonly subject: string;

  constructor(message: string, subject: string, fields?: Record<string, unknown>) {
    super(message);
    // Not enumerable: the remote's fields stay the only enumerable ones, so the
    // error forwards cleanly when a handler rethrows it.
    Object.defineProperty(this, 'subject', { value: subject, enumerable: false });
    if (fields) {
      for (const key of Object.keys(fields)) {
        // `key in this` also skips what the prototype chain defines (toString,
        // constructor, subject): a reply must not be able to break the error.
        if (!RESERVED.has(key) && !(key in this)) {
          (this as Record<string, unknown>)[key] = fields[key];
        }
      }
    }
  }

  /** The extra envelope fields this error carries (everything but `error` and `payload`). */
  get fields(): Record<string, unknown> {
    return { ...(this as object) } as Record<string, unknown>;
  }
}
