import { WIRE_MESSAGES } from '../constants.js';
import { ERROR_MESSAGES } from './constants.js';
import { subjectRefusal } from '../protocol/subject.rules.js';
import { PicomError } from './picom.error.js';

/**
 * No reply arrived within the call's timeout.
 *
 * @publicApi
 */
export class PicomTimeoutError extends PicomError {
  constructor(
    readonly subject: string,
    readonly timeout: number,
    options?: ErrorOptions,
  ) {
    super(WIRE_MESSAGES.timedOut(subject), options);
  }
}

/**
 * Nobody serves the subject: NATS said so at once, no need to wait for the timeout.
 *
 * @publicApi
 */
export class PicomNoRespondersError extends PicomError {
  constructor(readonly subject: string) {
    super(ERROR_MESSAGES.noResponders(subject));
  }
}

/**
 * What made a reply unusable, beyond a `cause`.
 *
 * @publicApi
 */
export interface PicomBadResponseDetails extends ErrorOptions {
  /** Why the reply is refused; without it the message is "Bad JSON response", the text old Picom callers raise for it. */
  readonly reason?: string;
  /** The offending value as received, never coerced (the `error` field of an envelope whose error is not a string). */
  readonly raw?: unknown;
}

/**
 * The reply was not a usable envelope: not JSON, not an object, an `error`
 * field that is not a string, or headers over the limits.
 *
 * @publicApi
 */
export class PicomBadResponseError extends PicomError {
  /** The offending value, when there is one (see `PicomBadResponseDetails.raw`). */
  declare readonly raw?: unknown;

  constructor(
    readonly subject: string,
    details?: PicomBadResponseDetails,
  ) {
    super(
      details?.reason === undefined ? WIRE_MESSAGES.BAD_JSON_RESPONSE : ERROR_MESSAGES.badResponse(subject, details.reason),
      details,
    );
    if (details !== undefined && 'raw' in details) {
      (this as { raw?: unknown }).raw = details.raw;
    }
  }
}

/**
 * The subject is not `<service>.<method>`, or is longer than NATS can carry
 * (the message names the limit); nothing was sent.
 *
 * @publicApi
 */
export class PicomSubjectError extends PicomError {
  constructor(readonly subject: string) {
    super(subjectRefusal(subject));
  }
}

/**
 * The message is larger than the server accepts; nothing was sent.
 *
 * @publicApi
 */
export class PicomPayloadTooLargeError extends PicomError {
  constructor(
    readonly subject: string,
    /** Bytes of body and headers together, as NATS counts them. */
    readonly size: number,
    readonly limit: number,
    /** Of `size`, the bytes of the encoded header block. */
    readonly headerBytes = 0,
  ) {
    super(ERROR_MESSAGES.payloadTooLarge(subject, size, limit, headerBytes));
  }
}

/**
 * The message cannot be encoded as JSON (a cycle, a BigInt); nothing was sent.
 *
 * @publicApi
 */
export class PicomEncodeError extends PicomError {}
