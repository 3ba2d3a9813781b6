import { quote } from '../errors/describe-value.js';

/**
 * At most one log line per this many ms for each kind of message a service
 * drops (a flood of them must not become a flood of lines); each line says how
 * many were dropped since the previous one.
 */
export const DROP_LOG_INTERVAL_MS = 5_000;

/** Texts a service answers (or keeps as `last_error`) when it cannot run or answer a handler. */
export const RESPONDER_MESSAGES = {
  busy: (service: string) => `Service ${service} is overloaded: too many requests waiting`,
  /** `overflow` comes from `headerOverflow()` and names the option that was exceeded. */
  headersRefused: (subject: string, overflow: string) =>
    `Request to ${subject} refused without reading its headers: ${overflow}`,
  /** `last_error` of the refused bucket for a publish dropped because the queue was full. */
  publishDropped: (service: string) => `Publish to ${service} dropped: too many messages waiting`,
  /** `last_error` of the refused bucket for a publish refused for its header block. */
  publishHeadersRefused: (subject: string, overflow: string) => `Publish to ${quote(subject)} refused without reading its headers: ${overflow}`,
  shuttingDown: (service: string) =>
    `Service ${service} is shutting down: the request was not started within the grace period`,
  gracePeriodOver: (service: string, gracePeriod: number) =>
    `Service ${service} is shutting down: the request did not finish within the ${gracePeriod} ms grace period`,
  handlerTimedOut: (subject: string, handlerTimeout: number) =>
    `Handler for ${subject} did not finish within ${handlerTimeout} ms`,
  replyTooLarge: (size: number, limit: number) =>
    `Reply is ${size} bytes, larger than the server's max_payload of ${limit} bytes`,
} as const;

/** Lines a service logs (never on the wire). */
export const RESPONDER_LOG_MESSAGES = {
  queueDropped: (count: number, service: string) =>
    `Picom: ${count} queued requests to ${service} dropped: the NATS connection is closed`,
  subscriptionFailed: (service: string, reason: string) => `Picom: subscription to ${service}.> failed: ${reason}`,
  publishTimedOut: (text: string) => `Picom: ${text} on a publish; its slot is freed and its result will be dropped`,
  publishFailed: (subject: string, reason: string) => `Picom: handler for ${subject} failed on a publish: ${reason}`,
  publishesDropped: (count: number, service: string, maxQueued: number, total: number) =>
    `Picom: ${count} publishes to ${service} dropped: ${maxQueued} messages were already waiting for a handler slot (maxQueued); ${total} dropped since start`,
  headersRefused: (count: number, service: string, latest: string, total: number) =>
    `Picom: ${count} messages to ${service} refused without reading their headers (requests answered with an error, publishes dropped); latest: ${latest}; ${total} refused since start`,
  replySubjectTooLong: (count: number, service: string, bytes: number, limit: number, total: number) =>
    `Picom: ${count} replies of ${service} not sent: the latest reply subject was ${bytes} bytes, longer than the ${limit} allowed (MAX_REPLY_SUBJECT_BYTES), ` +
    `which could exceed nats-server's control line and close this service's connection; ${total} not sent since start`,
  queuedPublishesDropped: (count: number, service: string) =>
    `Picom: ${count} queued publishes to ${service} dropped: not started within the grace period`,
  gracePeriodEnded: (gracePeriod: number, service: string, running: number, answered: number, publishes: number) =>
    `Picom: the ${gracePeriod} ms grace period of ${service} ended with ${running} handlers still running: ` +
    `${answered} requests answered with an error${publishes > 0 ? `, ${publishes} publishes abandoned` : ''}; their results will be dropped`,
} as const;
