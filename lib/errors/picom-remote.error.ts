import { PicomReplyError } from './picom-reply.error.js';

/**
 * The remote handler failed: `message` is the envelope's `error` text and every
 * other envelope field (a `code`, details) is copied onto the error as an own
 * property. Rethrown by a handler, it forwards text and fields unchanged.
 *
 * @publicApi
 */
export class PicomRemoteError extends PicomReplyError {
  /** Subject of the call that failed. */
  declare readonly subject: string;

  constructor(message: string, subject: string, fields?: Record<string, unknown>) {
    super(message, fields);
    // Not enumerable (and over any envelope field of that name): the remote's
    // fields stay the only enumerable ones.
    Object.defineProperty(this, 'subject', { value: subject, enumerable: false });
  }
}
