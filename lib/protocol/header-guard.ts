import type { Msg } from '@nats-io/transport-node';
import { PROTOCOL_MESSAGES } from './constants.js';

/** What a message may carry in headers before anything parses them. */
export interface HeaderLimits {
  /** Bytes of the whole header block (`NATS/1.0\r\n…\r\n\r\n`). */
  readonly maxHeaderBytes: number;
  /** Header lines (one per value). */
  readonly maxHeaderCount: number;
}

/** The shape of nats.js' `MsgImpl` this module reads: the received bytes and where the headers end. */
interface RawMsg {
  _rdata?: unknown;
  _msg?: { hdr?: unknown };
}

const LF = 0x0a;

/**
 * Checks a received message's header block against `limits` without parsing
 * it: nats.js parses headers in time quadratic in their number (20,000 keys
 * took seconds), so a hostile peer could stall the event loop with one
 * message. Returns a description of what is over the limit, or `undefined`.
 *
 * nats.js exposes no raw header bytes, so this reads its message object; a
 * message without headers costs one property read.
 */
export function headerOverflow(msg: Msg, limits: HeaderLimits): string | undefined {
  const raw = msg as unknown as RawMsg;
  const end = raw._msg?.hdr;
  if (typeof end !== 'number' || end <= 0) {
    return undefined;
  }
  if (end > limits.maxHeaderBytes) {
    return PROTOCOL_MESSAGES.headerBytesOver(end, limits.maxHeaderBytes);
  }
  const data = raw._rdata;
  if (!(data instanceof Uint8Array)) {
    return undefined;
  }
  // Lines after the `NATS/1.0` status line, less the blank line that ends the block.
  let lines = -2;
  for (let i = 0; i < end; i++) {
    if (data[i] === LF) lines++;
  }
  if (lines > limits.maxHeaderCount) {
    return PROTOCOL_MESSAGES.headerLinesOver(lines, limits.maxHeaderCount);
  }
  return undefined;
}
