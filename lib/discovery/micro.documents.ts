/**
 * The documents of the NATS micro protocol (ADR-32, "Service API"): what a
 * service answers on `$SRV.PING|INFO|STATS[.<name>[.<id>]]`. Field names and
 * units (nanoseconds) are the ADR's, so `nats micro`, `@nats-io/services` and
 * `picom` read Picom services and other micro services alike.
 */

/** The `type` of each document. */
export const MICRO_TYPES = Object.freeze({
  PING: 'io.nats.micro.v1.ping_response',
  INFO: 'io.nats.micro.v1.info_response',
  STATS: 'io.nats.micro.v1.stats_response',
} as const);

/** The verbs a service answers, as they appear in `$SRV.<verb>`. */
export const MICRO_VERBS = Object.freeze(['PING', 'INFO', 'STATS'] as const);
export type MicroVerb = (typeof MICRO_VERBS)[number];

/** Fields of every document. @publicApi */
export interface MicroIdentity {
  type: string;
  /** The service name, shared by its instances. */
  name: string;
  /** Unique per instance. */
  id: string;
  /** SemVer. */
  version: string;
  metadata?: Record<string, string> | null;
}

/** `$SRV.PING`: who is there. @publicApi */
export interface MicroPingResponse extends MicroIdentity {}

/** One endpoint in `$SRV.INFO`. @publicApi */
export interface MicroEndpointInfo {
  name: string;
  subject: string;
  queue_group?: string;
  metadata?: Record<string, string> | null;
}

/** `$SRV.INFO`: what an instance serves. @publicApi */
export interface MicroInfoResponse extends MicroIdentity {
  description: string;
  endpoints: MicroEndpointInfo[];
}

/** One endpoint in `$SRV.STATS`; times in nanoseconds. @publicApi */
export interface MicroEndpointStats {
  name: string;
  subject: string;
  queue_group?: string;
  num_requests: number;
  num_errors: number;
  /** Empty when there has been no error. */
  last_error: string;
  processing_time: number;
  average_processing_time: number;
  data?: unknown;
}

/** `$SRV.STATS`: how an instance is doing. @publicApi */
export interface MicroStatsResponse extends MicroIdentity {
  /** When the instance started, ISO 8601 in UTC. */
  started: string;
  endpoints: MicroEndpointStats[];
}

/** The document each verb answers with. */
export interface MicroResponses {
  PING: MicroPingResponse;
  INFO: MicroInfoResponse;
  STATS: MicroStatsResponse;
}
