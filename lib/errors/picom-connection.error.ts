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
}

/**
 * Options given to a constructor are invalid.
 *
 * @publicApi
 */
export class PicomOptionsError extends PicomError {}
