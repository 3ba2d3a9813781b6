import { MESSAGES, WIRE_MESSAGES } from '../constants.js';
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
    super(MESSAGES.noResponders(subject));
  }
}

/**
 * The reply was not a JSON envelope.
 *
 * @publicApi
 */
export class PicomBadResponseError extends PicomError {
  constructor(
    readonly subject: string,
    options?: ErrorOptions,
  ) {
    super(WIRE_MESSAGES.BAD_JSON_RESPONSE, options);
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
    readonly size: number,
    readonly limit: number,
  ) {
    super(MESSAGES.payloadTooLarge(subject, size, limit));
  }
}

/**
 * The message cannot be encoded as JSON (a cycle, a BigInt); nothing was sent.
 *
 * @publicApi
 */
export class PicomEncodeError extends PicomError {}
