import type { Msg } from '@nats-io/transport-node';
import { MAX_REPLY_SUBJECT_BYTES } from '../constants.js';
import type { PicomConnection } from '../connection/picom.connection.js';
import { describeError } from '../errors/describe-value.js';
import type { PicomLogger } from '../interfaces/picom-logger.interface.js';
import { toBytes } from '../protocol/bytes.js';
import { PROTOCOL_MESSAGES } from '../protocol/constants.js';
import { encodeFailure, encodeSuccess, type ErrorEnvelope } from '../protocol/envelope.codec.js';
import { RESPONDER_LOG_MESSAGES, RESPONDER_MESSAGES } from './constants.js';
import type { RefusalLedger } from './refusal.ledger.js';

/**
 * A reply subject of at most this many UTF-16 units is within
 * `MAX_REPLY_SUBJECT_BYTES` (a unit is at most 3 UTF-8 bytes): only longer
 * ones are measured.
 */
const SHORT_REPLY_SUBJECT = Math.floor(MAX_REPLY_SUBJECT_BYTES / 3);

/**
 * The options of every reply: a reply has neither headers nor a reply subject.
 * Without them nats.js makes an empty options object per message; it reads
 * them during `publish()` and keeps nothing.
 */
const REPLY_OPTIONS: { reply: string; headers: undefined } = { reply: '', headers: undefined };

/**
 * Writes a service's answers: a result as `{"payload":…}`, a failure as
 * `{"error":…}`, an error envelope in place of a reply that cannot be sent as
 * it is (not JSON, over the server's max_payload), and nothing to a reply
 * subject long enough to get the connection closed. A publish has nobody to
 * answer: its failure is logged.
 */
export class ReplyWriter {
  constructor(
    private readonly connection: PicomConnection,
    private readonly ledger: RefusalLedger,
    private readonly logger: PicomLogger,
    /** Turns a handler failure into an error envelope (the Nest layer maps its exception filters here). */
    private readonly encodeError: (err: unknown) => ErrorEnvelope,
  ) {}

  /** Replies with `value`; returns the error text sent instead when it cannot be sent, `undefined` otherwise. */
  success(msg: Msg, value: unknown): string | undefined {
    if (!msg.reply) {
      return undefined;
    }
    let data: Uint8Array;
    let failure: string | undefined;
    try {
      // Encoded once, here: the size check and the publish share the bytes.
      data = encodeSuccess(value);
    } catch (err) {
      failure = PROTOCOL_MESSAGES.unserializable('the reply', (err as Error).message);
      data = toBytes(encodeFailure(failure));
    }
    const limit = this.connection.maxPayload;
    if (data.length > limit) {
      failure = RESPONDER_MESSAGES.replyTooLarge(data.length, limit);
      data = toBytes(encodeFailure(failure));
    }
    this.publish(msg, data);
    return failure;
  }

  /** Answers a request with `text` as its error (a publish gets nothing). */
  failure(msg: Msg, text: string): void {
    if (msg.reply) {
      this.publish(msg, toBytes(encodeFailure(text)));
    }
  }

  /** Answers a handler's failure, or logs it for a publish; returns the error text sent or logged. */
  error(msg: Msg, err: unknown): string {
    if (!msg.reply) {
      // A publish has nobody to tell; the log is the only witness.
      const text = describeError(err);
      this.logger.warn(RESPONDER_LOG_MESSAGES.publishFailed(msg.subject, text));
      return text;
    }
    let envelope: ErrorEnvelope;
    try {
      envelope = this.encodeError(err);
    } catch (encodeErr) {
      const text = PROTOCOL_MESSAGES.unserializable('the error', String(encodeErr));
      envelope = { text, body: encodeFailure(text) };
    }
    this.publish(msg, toBytes(envelope.body));
    return envelope.text;
  }

  private publish(msg: Msg, data: Uint8Array): void {
    const reply = msg.reply as string;
    if (reply.length > SHORT_REPLY_SUBJECT) {
      const bytes = Buffer.byteLength(reply);
      if (bytes > MAX_REPLY_SUBJECT_BYTES) {
        // Sent, it could get this connection closed, and every caller with it.
        this.ledger.replyDropped(bytes);
        return;
      }
    }
    try {
      this.connection.nc.publish(reply, data, REPLY_OPTIONS);
    } catch (err) {
      this.logger.error(PROTOCOL_MESSAGES.replyFailed(msg.subject, describeError(err)));
    }
  }
}
