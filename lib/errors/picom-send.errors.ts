import { ERROR_MESSAGES } from './constants.js';
import { PicomError } from './picom.error.js';

/**
 * A header of a call or publish cannot be sent (a name with a space or a
 * colon, a value with CR or LF, a value that is not a string); nothing was
 * sent and nothing waits for a reply.
 *
 * @publicApi
 */
export class PicomHeaderError extends PicomError {
  constructor(
    message: string,
    /** Subject of the call or publish refused. */
    readonly subject: string,
    /** The header name refused; `undefined` when the headers as a whole are not an object. */
    readonly header: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * NATS refused to send the message for a reason Picom did not check first;
 * the `cause` is the NATS client's error. Nothing waits for a reply.
 *
 * @publicApi
 */
export class PicomSendError extends PicomError {
  constructor(
    readonly subject: string,
    options: ErrorOptions & { cause: unknown },
  ) {
    super(ERROR_MESSAGES.notSent(subject, options.cause instanceof Error ? options.cause.message : String(options.cause)), options);
  }
}
