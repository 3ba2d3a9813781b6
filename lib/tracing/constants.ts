// Names follow the OpenTelemetry semantic conventions v1.45.0 (RPC: stable;
// messaging: development), copied here as the semconv package advises instead
// of importing its incubating entry.

/** Instrumentation scope of the tracer and the meter. */
export const TELEMETRY_SCOPE = 'picom';
/**
 * While no OpenTelemetry SDK is registered, Picom looks for one every this
 * many calls and handled messages (a counter; the look is a property read on
 * `globalThis`): an SDK registered after the endpoints connected is traced
 * from at most this many calls later. Register it first, as usual.
 */
export const TELEMETRY_RECHECK_CALLS = 256;
/** The semantic conventions version the names below follow, for docs and tests. */
export const TELEMETRY_SEMCONV_VERSION = '1.45.0';
/** Span and metric attribute names. */
export const TELEMETRY_ATTRIBUTES = {
  RPC_SYSTEM_NAME: 'rpc.system.name',
  RPC_METHOD: 'rpc.method',
  RPC_METHOD_ORIGINAL: 'rpc.method_original',
  ERROR_TYPE: 'error.type',
  MESSAGING_SYSTEM: 'messaging.system',
  MESSAGING_DESTINATION_NAME: 'messaging.destination.name',
  MESSAGING_OPERATION_NAME: 'messaging.operation.name',
  MESSAGING_OPERATION_TYPE: 'messaging.operation.type',
  MESSAGING_CONSUMER_GROUP_NAME: 'messaging.consumer.group.name',
  MESSAGING_MESSAGE_BODY_SIZE: 'messaging.message.body.size',
  /** The Picom service (the subject's first token): `rpc.service` is deprecated in favour of a fully qualified `rpc.method`. */
  PICOM_SERVICE: 'picom.service',
  /** How a call ended, one of `TELEMETRY_OUTCOMES`. */
  PICOM_OUTCOME: 'picom.outcome',
} as const;
/** Values of fixed attributes. */
export const TELEMETRY_VALUES = {
  RPC_SYSTEM: 'picom',
  MESSAGING_SYSTEM: 'nats',
  /** A method (or subject) that is not one a route table knows, or that failed as a subject: one value for all (semconv's `_OTHER`). */
  OTHER: '_OTHER',
  OPERATION_PUBLISH: 'publish',
  OPERATION_PROCESS: 'process',
  OPERATION_TYPE_SEND: 'send',
  OPERATION_TYPE_PROCESS: 'process',
} as const;
/** `picom.outcome` values: a fixed set, so metrics stay bounded. */
export const TELEMETRY_OUTCOMES = {
  OK: 'ok',
  /** The remote handler failed (an error envelope). */
  ERROR: 'error',
  TIMEOUT: 'timeout',
  NO_RESPONDERS: 'no_responders',
  /** Nothing usable came back or nothing was sent: connection down, refused subject or headers, bad reply. */
  FAILED: 'failed',
} as const;
/** Metric instrument names, units and descriptions. */
export const TELEMETRY_METRICS = {
  CLIENT_DURATION: 'rpc.client.call.duration',
  SERVER_DURATION: 'rpc.server.call.duration',
  PROCESS_DURATION: 'messaging.process.duration',
  CLIENT_SENT: 'messaging.client.sent.messages',
  CLIENT_ACTIVE: 'picom.client.active_calls',
  SERVER_ACTIVE: 'picom.server.active_calls',
  DURATION_UNIT: 's',
  CALL_UNIT: '{call}',
  MESSAGE_UNIT: '{message}',
  /** The buckets semconv recommends for RPC and messaging durations, in seconds. */
  DURATION_BUCKETS: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
  descriptions: {
    clientDuration: 'Duration of Picom requests, from send to reply, error, timeout or no responders',
    serverDuration: 'Duration of handled Picom requests, from dispatch to reply',
    processDuration: 'Duration of handled Picom publishes',
    clientSent: 'Picom publishes sent',
    clientActive: 'Picom requests waiting for their outcome',
    serverActive: 'Picom requests and publishes being handled',
  },
} as const;
/** `error.type` of failures that have no error class of their own on the serving side. */
export const TELEMETRY_ERROR_TYPES = {
  HANDLER_TIMEOUT: 'handler_timeout',
  UNKNOWN_METHOD: 'unknown_method',
  BAD_REQUEST: 'bad_request',
  /** The reply could not be sent as the handler gave it (not serializable, over max_payload): an error went instead. */
  REPLY_NOT_SENT: 'reply_not_sent',
  /** The grace period of `close()` ended while the handler ran. */
  SHUTDOWN: 'shutdown',
  /** A handler threw something that is not an `Error`. */
  OTHER: '_OTHER',
} as const;
/** Span names of publishes: `{messaging.operation.name} {destination}`. */
export const TELEMETRY_SPAN_NAMES = {
  publish: (subject: string) => `publish ${subject}`,
  process: (subject: string) => `process ${subject}`,
} as const;
