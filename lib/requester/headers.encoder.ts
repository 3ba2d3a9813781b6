import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { REQUESTER_MESSAGES } from './constants.js';
import { kindOf } from '../errors/describe-value.js';
import { PicomHeaderError } from '../errors/index.js';

/** Headers as users give them: one value or several per key. */
export type PicomHeaders = Record<string, string | string[]>;

/** Headers ready for `nc.publish()`, and what they add to the message. */
export interface EncodedHeaders {
  /** `undefined` when there is nothing to send (an empty record). */
  readonly headers: MsgHdrs | undefined;
  /** Bytes of the encoded header block, which NATS counts against max_payload. */
  readonly bytes: number;
}

/** `NATS/1.0` before the lines, `\r\n\r\n` after them. */
export const BLOCK_FRAME_BYTES = 'NATS/1.0'.length + '\r\n\r\n'.length;
/** `\r\n`, then `: ` between name and value. */
const LINE_FRAME_BYTES = 4;
/** Longest header name an error message quotes in full. */
const NAME_SHOWN = 64;
const NONE: EncodedHeaders = Object.freeze({ headers: undefined, bytes: 0 });

/**
 * Turns a caller's headers into NATS headers, checked before anything is
 * pending or sent: nats.js would throw its own error from inside `publish()`
 * (a call then waited for its timeout), or a `TypeError` for a value that is
 * not a string.
 *
 * @throws {PicomHeaderError} naming the header refused, with nats.js' error as the cause when it was nats.js that refused it
 */
export function encodeHeaders(values: PicomHeaders, subject: string): EncodedHeaders {
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new PicomHeaderError(REQUESTER_MESSAGES.headersNotRecord(subject, describe(values)), subject, undefined);
  }
  const keys = Object.keys(values);
  if (keys.length === 0) {
    return NONE;
  }
  const headers = natsHeaders();
  let bytes = 0;
  for (const key of keys) {
    const value = values[key];
    if (Array.isArray(value)) {
      for (const one of value) {
        bytes += append(headers, key, one, subject);
      }
    } else {
      bytes += append(headers, key, value, subject);
    }
  }
  // A key with an empty array of values adds nothing: no block to send.
  return bytes === 0 ? NONE : { headers, bytes: bytes + BLOCK_FRAME_BYTES };
}

/** Appends one header line and returns its encoded size. */
function append(headers: MsgHdrs, key: string, value: unknown, subject: string): number {
  if (key.length === 0) {
    // nats.js would send `: value`, a line with no name.
    throw new PicomHeaderError(REQUESTER_MESSAGES.headerNameEmpty(subject), subject, key);
  }
  if (typeof value !== 'string') {
    throw new PicomHeaderError(REQUESTER_MESSAGES.headerNotString(subject, shortName(key), kindOf(value)), subject, key);
  }
  try {
    headers.append(key, value);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new PicomHeaderError(REQUESTER_MESSAGES.invalidHeader(subject, shortName(key), reason), subject, key, { cause });
  }
  // nats.js sends the value trimmed; a name that passed its check is ASCII, one byte a character.
  return key.length + Buffer.byteLength(value.trim()) + LINE_FRAME_BYTES;
}

/** The name, quoted, cut short when long: an error message must stay readable. */
function shortName(key: string): string {
  return JSON.stringify(key.length > NAME_SHOWN ? `${key.slice(0, NAME_SHOWN)}…` : key);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'of type array';
  return `of type ${typeof value}`;
}
