import type { RefusalCounts } from '../responder/refusal.ledger.js';
import { cutText, type EndpointStats } from '../routes/method-stats.js';
import { MICRO_NAME_PATTERN, MICRO_REFUSED_ENDPOINT } from './micro.constants.js';
import {
  MICRO_TYPES,
  type MicroEndpointInfo,
  type MicroEndpointStats,
  type MicroInfoResponse,
  type MicroPingResponse,
  type MicroStatsResponse,
} from './micro.documents.js';

/** Who an instance is, as every document says it. */
export interface MicroIdentitySettings {
  /** The service name. */
  readonly name: string;
  /** Unique per instance (a nuid). */
  readonly id: string;
  readonly version: string;
  readonly description: string;
  readonly metadata: Readonly<Record<string, string>>;
}

const NOT_A_NAME_CHARACTER = /[^a-zA-Z0-9_-]/g;

/** Whether the micro protocol accepts `name` as a service or endpoint name. */
export function isMicroName(name: string): boolean {
  return MICRO_NAME_PATTERN.test(name);
}

/** A method's endpoint name: every character the micro protocol does not allow becomes `_` (`user:get` → `user_get`). */
export function microName(method: string): string {
  return method.replace(NOT_A_NAME_CHARACTER, '_');
}

export function pingDocument(identity: MicroIdentitySettings): MicroPingResponse {
  const { name, id, version, metadata } = identity;
  return { type: MICRO_TYPES.PING, name, id, version, metadata: { ...metadata } };
}

/** One endpoint per method, in the order they were added. */
export function infoDocument(identity: MicroIdentitySettings, methods: Iterable<string>): MicroInfoResponse {
  const { name, id, version, description, metadata } = identity;
  const endpoints: MicroEndpointInfo[] = [];
  for (const method of methods) {
    endpoints.push({ name: microName(method), subject: `${name}.${method}`, queue_group: name, metadata: {} });
  }
  return { type: MICRO_TYPES.INFO, name, id, version, description, metadata: { ...metadata }, endpoints };
}

/** One entry per method, then `_refused`; times in nanoseconds, the average truncated. */
export function statsDocument(
  identity: MicroIdentitySettings,
  started: string,
  methods: Iterable<[string, EndpointStats]>,
  refusals: RefusalCounts,
): MicroStatsResponse {
  const { name, id, version, metadata } = identity;
  const endpoints: MicroEndpointStats[] = [];
  for (const [method, stats] of methods) {
    const processingTime = nanos(stats.time);
    endpoints.push({
      name: microName(method),
      subject: `${name}.${method}`,
      queue_group: name,
      num_requests: stats.requests,
      num_errors: stats.errors,
      last_error: stats.lastError,
      processing_time: processingTime,
      average_processing_time: stats.requests > 0 ? Math.floor(processingTime / stats.requests) : 0,
    });
  }
  endpoints.push(refusedEndpoint(name, refusals));
  return { type: MICRO_TYPES.STATS, name, id, version, metadata: { ...metadata }, started, endpoints };
}

/**
 * The one entry for what never reached a handler: its size does not depend on
 * what callers send (a flood of random method names adds counts, not entries).
 */
function refusedEndpoint(service: string, refusals: RefusalCounts): MicroEndpointStats {
  const refused = refusals.unknownMethod + refusals.headersRefused + refusals.overloaded + refusals.publishesDropped;
  return {
    name: MICRO_REFUSED_ENDPOINT,
    subject: `${service}.>`,
    queue_group: service,
    num_requests: refused,
    num_errors: refused,
    last_error: cutText(refusals.lastError),
    processing_time: 0,
    average_processing_time: 0,
    data: {
      unknown_method: refusals.unknownMethod,
      headers_refused: refusals.headersRefused,
      overloaded: refusals.overloaded,
      publishes_dropped: refusals.publishesDropped,
      replies_dropped: refusals.repliesDropped,
    },
  };
}

/** Milliseconds as whole nanoseconds, the micro protocol's unit. */
function nanos(ms: number): number {
  return Math.round(ms * 1e6);
}
