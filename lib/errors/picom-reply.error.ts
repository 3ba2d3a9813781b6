import { PicomError } from './picom.error.js';

/** Envelope fields that can never become properties of the error. */
const RESERVED = new Set(['error', 'payload', 'name', 'message', 'stack', 'cause']);

/**
 * An error reply with extra fields beside its text. Thrown by a handler, it is
 * answered as `{"error": message, ...fields}` (old callers ignore the fields);
 * it is the plain-Picom counterpart of Nest's `RpcException({ message, ...fields })`.
 *
 * @example
 * throw new PicomReplyError('b must be a number', { code: 'INVALID_ARGUMENT' });
 *
 * @publicApi
 */
export class PicomReplyError extends PicomError {
  constructor(message: string, fields?: Record<string, unknown>) {
    super(message);
    if (fields) {
      for (const key of Object.keys(fields)) {
        // `key in this` also skips what the prototype chain defines (toString,
        // constructor, fields): a reply must not be able to break the error.
        if (!RESERVED.has(key) && !(key in this)) {
          (this as Record<string, unknown>)[key] = fields[key];
        }
      }
    }
  }

  /** The extra fields this error carries beside its text. */
  get fields(): Record<string, unknown> {
    return { ...(this as object) } as Record<string, unknown>;
  }
}
