import type { Msg, Subscription } from '@nats-io/transport-node';
import { MAX_REPLY_SUBJECT_BYTES } from '../constants.js';
import { PROTOCOL_MESSAGES } from '../protocol/constants.js';
import { MICRO_MESSAGES, MICRO_PREFIX } from './micro.constants.js';
import type { PicomConnection } from '../connection/picom.connection.js';
import { describeError } from '../errors/describe-value.js';
import type { PicomLogger } from '../interfaces/picom-logger.interface.js';
import { toBytes } from '../protocol/bytes.js';
import { bytesOver } from '../protocol/subject.rules.js';
import type { RefusalCounts } from '../responder/refusal.ledger.js';
import type { PicomRoute } from '../routes/picom-route.js';
import { infoDocument, pingDocument, statsDocument, type MicroIdentitySettings } from './micro.builder.js';

/** Where the documents come from: the live route table (methods exposed later appear) and the responder's refusals. */
export interface DiscoverySource {
  readonly routes: ReadonlyMap<string, PicomRoute>;
  readonly refusals: () => RefusalCounts;
}

/** `$SRV.` */
const PREFIX_LENGTH = MICRO_PREFIX.length + 1;

/**
 * Answers the NATS micro protocol (ADR-32) for one service instance:
 * `$SRV.PING|INFO|STATS`, each also `.<name>` and `.<name>.<id>`. Three
 * subscriptions (`$SRV.*`, `$SRV.*.<name>`, `$SRV.*.<name>.<id>`) cover the
 * nine subjects, outside the service's queue group: every instance answers.
 * The service's own subscription and wire are untouched, so old Picom
 * processes in the same queue group keep working, unlisted.
 */
export class DiscoveryResponder {
  private readonly subscriptions: Subscription[] = [];
  /** When this instance started serving, ISO 8601 in UTC. */
  private readonly started = new Date().toISOString();
  /** The PING document never changes: encoded once. */
  private readonly ping: Uint8Array;
  private stopped = false;

  constructor(
    private readonly connection: PicomConnection,
    private readonly identity: MicroIdentitySettings,
    private readonly source: DiscoverySource,
    private readonly logger: PicomLogger,
  ) {
    // Its own buffer: kept for the endpoint's life, it would pin a shared slab.
    this.ping = Buffer.from(JSON.stringify(pingDocument(identity)), 'utf8');
  }

  /**
   * Subscribes and waits until the server has the subscriptions. A user that
   * may not subscribe to `$SRV.>` gets one warning and a service that serves
   * unlisted: `false`, and nothing left subscribed.
   */
  async start(): Promise<boolean> {
    const { name, id } = this.identity;
    // The first one alone: a refused user costs one refusal, not three.
    for (const subjects of [[`${MICRO_PREFIX}.*`], [`${MICRO_PREFIX}.*.${name}`, `${MICRO_PREFIX}.*.${name}.${id}`]]) {
      if (this.stopped) {
        return false;
      }
      for (const subject of subjects) {
        this.subscriptions.push(this.connection.nc.subscribe(subject, { callback: (err, msg) => this.onMessage(err, msg) }));
      }
      try {
        await this.connection.nc.flush();
      } catch {
        // The connection closed meanwhile: nothing to answer on.
        this.stop();
        return false;
      }
      const refused = this.subscriptions.find((subscription) => subscription.isClosed());
      if (refused !== undefined && !this.stopped) {
        this.logger.warn(MICRO_MESSAGES.permissionDenied(name, refused.getSubject()));
        this.stop();
        return false;
      }
    }
    return !this.stopped;
  }

  /** Unsubscribes at once: an instance that is leaving stops being listed before its service drains. */
  stop(): void {
    this.stopped = true;
    for (const subscription of this.subscriptions.splice(0)) {
      if (!subscription.isClosed()) {
        subscription.unsubscribe();
      }
    }
  }

  private onMessage(err: Error | null, msg: Msg): void {
    // A refused subscription is reported once, by start().
    if (err || this.stopped) {
      return;
    }
    const reply = msg.reply;
    if (!reply || bytesOver(reply, MAX_REPLY_SUBJECT_BYTES) !== undefined) {
      // Nobody to answer, or a subject that could get this connection closed (see the responder).
      return;
    }
    const subject = msg.subject;
    const end = subject.indexOf('.', PREFIX_LENGTH);
    const verb = end === -1 ? subject.slice(PREFIX_LENGTH) : subject.slice(PREFIX_LENGTH, end);
    let data: Uint8Array;
    switch (verb) {
      case 'PING':
        data = this.ping;
        break;
      case 'INFO':
        data = toBytes(JSON.stringify(infoDocument(this.identity, this.source.routes.keys())));
        break;
      case 'STATS':
        data = toBytes(JSON.stringify(statsDocument(this.identity, this.started, this.statsEntries(), this.source.refusals())));
        break;
      default:
        // `$SRV.*` matches verbs the protocol does not have: not ours to answer.
        return;
    }
    try {
      this.connection.nc.publish(reply, data);
    } catch (publishErr) {
      this.logger.error(PROTOCOL_MESSAGES.replyFailed(subject, describeError(publishErr)));
    }
  }

  private *statsEntries(): Iterable<[string, PicomRoute['stats']]> {
    for (const [method, route] of this.source.routes) {
      yield [method, route.stats];
    }
  }
}
