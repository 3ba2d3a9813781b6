import { ERROR_MESSAGES } from './constants.js';
import { PicomError } from './picom.error.js';

/**
 * Codes of connection failures, frozen rather than an enum so that consumers
 * compiling with `isolatedModules` can use them.
 *
 * @publicApi
 */
export const PicomConnectionErrorCode = {
  /** The first connection could not be made. */
  CONNECT_FAILED: 'CONNECT_FAILED',
  /** The server refused the credentials. */
  AUTHORIZATION: 'AUTHORIZATION',
  /** The connection was closed by `close()`. */
  CLOSED: 'CLOSED',
  /** Reconnect attempts (`retries`) were exhausted. */
  CONNECTION_LOST: 'CONNECTION_LOST',
  /** The connection is down and reconnecting: the message was not sent. */
  DISCONNECTED: 'DISCONNECTED',
  /** Used before `listen()` / `connect()`. */
  NOT_CONNECTED: 'NOT_CONNECTED',
  /** The server refused a publish or subscribe for lack of permission. */
  PERMISSION: 'PERMISSION',
} as const;
export type PicomConnectionErrorCode =
  (typeof PicomConnectionErrorCode)[keyof typeof PicomConnectionErrorCode];

/**
 * The NATS connection is missing, refused or gone.
 *
 * @publicApi
 */
export class PicomConnectionError extends PicomError {
  constructor(
    message: string,
    readonly code: PicomConnectionErrorCode,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** What calls made on, or pending at, a closed endpoint fail with. */
  static closed(options?: ErrorOptions): PicomConnectionError {
    return new PicomConnectionError(ERROR_MESSAGES.closed, PicomConnectionErrorCode.CLOSED, options);
  }
}

/**
 * The server refused a publish or a subscription: the connection's NATS user
 * lacks the permission. The connection goes on; only this subject is refused.
 *
 * @publicApi
 */
export class PicomPermissionError extends PicomConnectionError {
  constructor(
    message: string,
    /** What was refused. */
    readonly operation: 'publish' | 'subscribe',
    /** The subject refused. */
    readonly subject: string,
    /** The queue group of a refused subscription. */
    readonly queue?: string,
    options?: ErrorOptions,
  ) {
    super(message, PicomConnectionErrorCode.PERMISSION, options);
  }
}

/**
 * Options given to a constructor are invalid.
 *
 * @publicApi
 */
export class PicomOptionsError extends PicomError {}
