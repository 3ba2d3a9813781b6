import { MAX_REPLY_SUBJECT_BYTES } from '../constants.js';
import type { PicomLogger } from '../interfaces/picom-logger.interface.js';
import { DROP_LOG_INTERVAL_MS, RESPONDER_LOG_MESSAGES, RESPONDER_MESSAGES } from './constants.js';
import { DropCounter } from './drop-counter.js';

/** What never reached a handler, counted by the responder; reported as the `_refused` STATS entry. */
export interface RefusalCounts {
  readonly unknownMethod: number;
  readonly headersRefused: number;
  readonly overloaded: number;
  readonly publishesDropped: number;
  /** Replies not sent for their subject's length: their requests were counted on their method, so not added here. */
  readonly repliesDropped: number;
  readonly lastError: string;
}

/**
 * Every message a service refuses or drops, in one place: it names the
 * refusal (the text a request is answered with), counts it, keeps the latest
 * text for `$SRV.STATS`, and logs drops rate-limited, so that a flood of them
 * is counted in full without becoming a flood of lines.
 */
export class RefusalLedger {
  private unknownMethods = 0;
  private overloads = 0;
  /** Publishes among the header refusals, and those still queued when `close()` gave up. */
  private otherDroppedPublishes = 0;
  private lastError = '';
  /** Publishes dropped because `maxQueued` messages were waiting already. */
  private readonly queueFull: DropCounter<undefined>;
  /** Requests and publishes refused for their header block; the text says what was over. */
  private readonly headerRefusals: DropCounter<string>;
  /** Replies not sent for their subject's length, in bytes. */
  private readonly replyRefusals: DropCounter<number>;
  private readonly queueFullText: string;

  constructor(
    private readonly service: string,
    maxQueued: number,
    private readonly logger: PicomLogger,
  ) {
    this.queueFullText = RESPONDER_MESSAGES.publishDropped(service);
    this.queueFull = new DropCounter(DROP_LOG_INTERVAL_MS, (count, total) =>
      logger.warn(RESPONDER_LOG_MESSAGES.publishesDropped(count, service, maxQueued, total)),
    );
    this.headerRefusals = new DropCounter(DROP_LOG_INTERVAL_MS, (count, total, latest) =>
      logger.warn(RESPONDER_LOG_MESSAGES.headersRefused(count, service, latest, total)),
    );
    this.replyRefusals = new DropCounter(DROP_LOG_INTERVAL_MS, (count, total, bytes) =>
      logger.warn(RESPONDER_LOG_MESSAGES.replySubjectTooLong(count, service, bytes, MAX_REPLY_SUBJECT_BYTES, total)),
    );
  }

  /** A method nobody serves; returns the text to answer with. */
  unknownMethod(text: string): string {
    this.unknownMethods++;
    this.lastError = text;
    return text;
  }

  /** A request while every slot and the queue are taken; returns the text to answer with. */
  overloaded(): string {
    const text = RESPONDER_MESSAGES.busy(this.service);
    this.overloads++;
    this.lastError = text;
    return text;
  }

  /** A publish while the queue is full: dropped. */
  queueOverflow(): void {
    this.lastError = this.queueFullText;
    this.queueFull.add(undefined);
  }

  /**
   * A message whose header block is over the limits, refused unparsed:
   * returns the text a request is answered with; a publish is dropped.
   */
  headersRefused(subject: string, overflow: string, request: boolean): string {
    const text = request ? RESPONDER_MESSAGES.headersRefused(subject, overflow) : RESPONDER_MESSAGES.publishHeadersRefused(subject, overflow);
    this.lastError = text;
    this.headerRefusals.add(overflow);
    if (!request) {
      this.otherDroppedPublishes++;
    }
    return text;
  }

  /** A reply not sent: its subject, `bytes` long, could get the connection closed. */
  replyDropped(bytes: number): void {
    this.replyRefusals.add(bytes);
  }

  /** Publishes still queued when the grace period ended. */
  queuedPublishesDropped(count: number): void {
    this.otherDroppedPublishes += count;
    this.logger.warn(RESPONDER_LOG_MESSAGES.queuedPublishesDropped(count, this.service));
  }

  /** Publishes never handled: past `maxQueued`, refused for their headers, or still queued at the end of the grace period. */
  get droppedPublishes(): number {
    return this.queueFull.total + this.otherDroppedPublishes;
  }

  /** Requests (answered with an error) and publishes (dropped) refused unparsed for their header block. */
  get refusedHeaders(): number {
    return this.headerRefusals.total;
  }

  /** Replies not sent because their subject was longer than `MAX_REPLY_SUBJECT_BYTES`. */
  get droppedReplies(): number {
    return this.replyRefusals.total;
  }

  /** What never reached a handler, for the `_refused` entry of `$SRV.STATS`. */
  counts(): RefusalCounts {
    return {
      unknownMethod: this.unknownMethods,
      headersRefused: this.headerRefusals.total,
      overloaded: this.overloads,
      publishesDropped: this.queueFull.total,
      repliesDropped: this.replyRefusals.total,
      lastError: this.lastError,
    };
  }

  /** Writes the lines still due now, rather than by timers that may never fire. */
  flush(): void {
    this.queueFull.flush();
    this.headerRefusals.flush();
    this.replyRefusals.flush();
  }
}
