import type { PicomConnectionOptions, PicomServeOptions } from '../../interfaces/picom-options.interface.js';

/**
 * Options of `PicomServer`: the service it serves, and how to reach NATS.
 *
 * @publicApi
 */
export interface PicomServerOptions extends PicomConnectionOptions, PicomServeOptions {
  /** The service name: handlers answer `<service>.<pattern>`, instances share queue group `<service>`. */
  service: string;
}

/**
 * Options of `PicomClient`.
 *
 * @publicApi
 */
export interface PicomClientOptions extends PicomConnectionOptions {}
