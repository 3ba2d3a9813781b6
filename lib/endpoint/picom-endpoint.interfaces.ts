import type { PicomConnection } from '../connection/picom.connection.js';
import type { ReplyTarget } from '../requester/picom.requester.js';
import type { PicomResponderOptions } from '../responder/picom.responder.js';

/** How a face (`Picom`, `PicomServer`, `PicomClient`) wants its endpoint to behave. */
export interface PicomEndpointSettings {
  /**
   * Opens the reply inbox with every connection (a client exists to call);
   * otherwise on the first call, so that a service whose NATS user may not
   * subscribe to inboxes serves without a permissions error.
   */
  readonly calls: boolean;
  /** `close()` can be followed by `connect()` again (Nest's client and server); otherwise it is final. */
  readonly reopens: boolean;
  /** Told once per new connection, for the face's start-up line. */
  readonly onOpen?: (connection: PicomConnection) => void;
}

/**
 * The reply target of a call made with `PicomEndpoint.request()`. The endpoint
 * keeps in `token` what `cancel()` needs, whether the call is in flight or
 * still waiting for the first connect: nothing else is kept per call.
 */
export interface CallTarget extends ReplyTarget {
  /**
   * Written by the endpoint; `undefined` once the call is cancelled. A target
   * clears it when settled, so that a teardown after the outcome costs nothing.
   */
  token: string | undefined;
}

/** What a serving endpoint needs beyond the resolved options. */
export type PicomServeSettings = Pick<PicomResponderOptions, 'service' | 'routes' | 'encodeError' | 'observables'>;
