import type { Msg } from '@nats-io/transport-node';
import { EndpointStats } from './method-stats.js';

/**
 * Runs one method. `message` is the decoded body (`null` for an empty one);
 * the raw NATS message gives the subject, headers and reply subject.
 */
export type RouteHandler = (message: unknown, msg: Msg, method: string) => unknown;

/**
 * One method of a service: its handler and its counters, in one entry so that
 * the one `Map.get` of a request finds both. The faces (`Picom`, `PicomServer`)
 * build the table; the responder runs it and discovery reports it.
 */
export class PicomRoute {
  readonly stats = new EndpointStats();

  constructor(readonly handler: RouteHandler) {}
}
