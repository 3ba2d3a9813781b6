import { Empty, NoRespondersError, RequestError, type Msg, type NatsConnection, type RequestManyOptions } from '@nats-io/transport-node';
import { DEFAULT_DISCOVERY_WAIT } from '../constants.js';
import { describeError } from '../errors/describe-value.js';
import { closedConnectionError } from '../connection/picom.connection.js';
import { PicomError, PicomOptionsError } from '../errors/index.js';
import { isIntegerFrom, isPositiveNumber } from '../options/option.validators.js';
import { isValidToken } from '../protocol/subject.rules.js';
import { DISCOVERY_MESSAGES, MICRO_PREFIX } from './micro.constants.js';
import { MICRO_TYPES, type MicroResponses, type MicroVerb } from './micro.documents.js';

/**
 * Options of one discovery request.
 *
 * @publicApi
 */
export interface PicomDiscoveryOptions {
  /**
   * How long to collect answers, in milliseconds: every instance answers, so
   * there is no last reply to wait for.
   * @default 1000
   */
  timeout?: number;
  /** Stop as soon as this many instances have answered. */
  max?: number;
  /** Only the instance with this id (needs a service name). */
  id?: string;
  /** Told about each answer that is not a document of the verb asked (it is left out). */
  onIgnored?: (subject: string, reason: string) => void;
}

/**
 * One instance's answer: its document and how long after the request it came.
 *
 * @publicApi
 */
export interface PicomDiscoveryReply<T> {
  document: T;
  /** Milliseconds from the request to this answer. */
  rtt: number;
}

/**
 * Asks the services on a NATS connection who they are, over the NATS micro
 * protocol (`$SRV.PING|INFO|STATS`): Picom services and every other micro
 * service (`@nats-io/services`, nats.go `micro`) answer alike.
 *
 * @example
 * const discovery = new PicomDiscovery(picom.unwrap());
 * const instances = await discovery.ping('service1', { timeout: 500 });
 *
 * @publicApi
 */
export class PicomDiscovery {
  constructor(private readonly nc: NatsConnection) {}

  /** The instances of `service` (of every service when left out) that answer within the timeout. */
  ping(service?: string, options?: PicomDiscoveryOptions): Promise<PicomDiscoveryReply<MicroResponses['PING']>[]> {
    return this.query('PING', service, options);
  }

  /** What each instance serves: its endpoints, description, metadata. */
  info(service?: string, options?: PicomDiscoveryOptions): Promise<PicomDiscoveryReply<MicroResponses['INFO']>[]> {
    return this.query('INFO', service, options);
  }

  /** How each instance is doing: requests, errors and processing time per endpoint. */
  stats(service?: string, options?: PicomDiscoveryOptions): Promise<PicomDiscoveryReply<MicroResponses['STATS']>[]> {
    return this.query('STATS', service, options);
  }

  /**
   * Sends `$SRV.<verb>[.<service>[.<id>]]` and collects the answers.
   * @throws {PicomOptionsError} when the service name, id, timeout or max is invalid
   * @throws {PicomConnectionError} when the connection is closed or draining
   * @throws {PicomError} when the request fails otherwise (the nats.js error is its `cause`)
   */
  async query<V extends MicroVerb>(verb: V, service?: string, options: PicomDiscoveryOptions = {}): Promise<PicomDiscoveryReply<MicroResponses[V]>[]> {
    const subject = discoverySubject(verb, service, options.id);
    const timeout = options.timeout ?? DEFAULT_DISCOVERY_WAIT;
    if (!isPositiveNumber(timeout)) {
      throw new PicomOptionsError(DISCOVERY_MESSAGES.invalidTimeout(String(timeout)));
    }
    const max = options.max;
    if (max !== undefined && !isIntegerFrom(max, 1)) {
      throw new PicomOptionsError(DISCOVERY_MESSAGES.invalidMax(String(max)));
    }
    const many: Partial<RequestManyOptions> =
      max === undefined ? { strategy: 'timer', maxWait: timeout } : { strategy: 'count', maxWait: timeout, maxMessages: max };
    const replies: PicomDiscoveryReply<MicroResponses[V]>[] = [];
    const started = performance.now();
    try {
      for await (const msg of await this.nc.requestMany(subject, Empty, many)) {
        const rtt = performance.now() - started;
        const document = parseDocument(msg, MICRO_TYPES[verb]);
        if (typeof document === 'string') {
          options.onIgnored?.(msg.subject, document);
          continue;
        }
        replies.push({ document: document as MicroResponses[V], rtt });
      }
    } catch (err) {
      // No instance at all is an answer too (nats.js ends the iteration with no-responders).
      if (!isNoResponders(err)) {
        throw requestFailure(err);
      }
    }
    return replies;
  }
}

/** `$SRV.<verb>`, `$SRV.<verb>.<service>` or `$SRV.<verb>.<service>.<id>`. */
export function discoverySubject(verb: MicroVerb, service?: string, id?: string): string {
  if (service === undefined) {
    if (id !== undefined) {
      throw new PicomOptionsError(DISCOVERY_MESSAGES.idWithoutService);
    }
    return `${MICRO_PREFIX}.${verb}`;
  }
  if (!isValidToken(service)) {
    throw new PicomOptionsError(DISCOVERY_MESSAGES.invalidService(service));
  }
  if (id === undefined) {
    return `${MICRO_PREFIX}.${verb}.${service}`;
  }
  if (!isValidToken(id)) {
    throw new PicomOptionsError(DISCOVERY_MESSAGES.invalidId(id));
  }
  return `${MICRO_PREFIX}.${verb}.${service}.${id}`;
}

/** The document in `msg`, or why it is not one of `type`. */
function parseDocument(msg: Msg, type: string): object | string {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength).toString('utf8'));
  } catch {
    return DISCOVERY_MESSAGES.notJson;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return DISCOVERY_MESSAGES.notObject;
  }
  const doc = value as Record<string, unknown>;
  if (doc.type !== type) {
    return DISCOVERY_MESSAGES.wrongType(doc.type, type);
  }
  if (typeof doc.name !== 'string' || typeof doc.id !== 'string') {
    return DISCOVERY_MESSAGES.noIdentity;
  }
  return doc;
}

function isNoResponders(err: unknown): boolean {
  return err instanceof NoRespondersError || (err instanceof RequestError && err.isNoResponders());
}

// Callers see PicomErrors only, as from every other Picom call; the nats.js error stays the cause.
function requestFailure(err: unknown): PicomError {
  return closedConnectionError(err) ?? new PicomError(DISCOVERY_MESSAGES.requestFailed(describeError(err)), { cause: err });
}
