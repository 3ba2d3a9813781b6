/**
 * Connection states reported by `status` on every Picom endpoint. The first
 * three are the strings Nest's own NATS transport uses.
 *
 * @publicApi
 */
export const PicomStatus = {
  CONNECTED: 'connected',
  DISCONNECTED: 'disconnected',
  RECONNECTING: 'reconnecting',
  /** Closed by `close()` or after reconnect attempts ran out; it will not come back. */
  CLOSED: 'closed',
} as const;
export type PicomStatus = (typeof PicomStatus)[keyof typeof PicomStatus];

/**
 * Events of a Picom endpoint, for `on(event, callback)`.
 *
 * @publicApi
 */
export const PicomEvent = {
  DISCONNECT: 'disconnect',
  RECONNECT: 'reconnect',
  UPDATE: 'update',
  ERROR: 'error',
  CLOSE: 'close',
  STATUS: 'status',
} as const;
export type PicomEvent = (typeof PicomEvent)[keyof typeof PicomEvent];

/**
 * Listener signatures per event.
 *
 * @publicApi
 */
export type PicomEventsMap = {
  /** Lost the server named; reconnecting. */
  disconnect: (server: string) => void;
  /** Connected again, to the server named. */
  reconnect: (server: string) => void;
  /** The cluster's server list changed. */
  update: (change: { added?: string[]; deleted?: string[] }) => void;
  /** The server reported an error (a permissions violation, say); the connection goes on. */
  error: (err: Error) => void;
  /** Closed for good; `err` says why when it was not `close()`. */
  close: (err?: Error) => void;
  /** Any status change. */
  status: (status: PicomStatus) => void;
};
