import { randomFillSync } from 'node:crypto';
import { REPLY_TOKENS_PER_FILL } from './constants.js';

/**
 * Reply tokens that cannot be guessed from one another. Every reply of an
 * endpoint arrives on `<inbox>.<token>`, and a service sees the reply subject
 * of each request it gets: with tokens from a counter it could answer the
 * caller's other calls by trying the neighbouring numbers. A token is
 * 8 bytes from the system's CSPRNG as `REPLY_TOKEN_LENGTH` (11) base64url
 * characters (`A-Z a-z 0-9 - _`, all valid in a NATS subject token).
 *
 * The bytes come from one pool shared by every requester of the process,
 * refilled when used up: one `randomFillSync` per `REPLY_TOKENS_PER_FILL`
 * calls rather than one per call. The encoding is done here rather than by
 * `Buffer#toString('base64url')`, whose call into C++ costs about four times
 * the rest of a token.
 */
/** 64 bits: the encoder below is written for exactly this many bytes. */
const TOKEN_BYTES = 8;
const pool = new Uint8Array(TOKEN_BYTES * REPLY_TOKENS_PER_FILL);
let offset = pool.length;

const BASE64URL = Uint8Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', (c) => c.charCodeAt(0));

/** A fresh random reply token. */
export function nextReplyToken(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const o = offset;
  offset += TOKEN_BYTES;
  const p = pool;
  const a = p[o]!, b = p[o + 1]!, c = p[o + 2]!, d = p[o + 3]!, e = p[o + 4]!, f = p[o + 5]!, g = p[o + 6]!, h = p[o + 7]!;
  const s = BASE64URL;
  // 64 bits as 6-bit groups: three bytes make four characters, the last byte pair makes three.
  return String.fromCharCode(
    s[a >> 2]!, s[((a & 3) << 4) | (b >> 4)]!, s[((b & 15) << 2) | (c >> 6)]!, s[c & 63]!,
    s[d >> 2]!, s[((d & 3) << 4) | (e >> 4)]!, s[((e & 15) << 2) | (f >> 6)]!, s[f & 63]!,
    s[g >> 2]!, s[((g & 3) << 4) | (h >> 4)]!, s[(h & 15) << 2]!,
  );
}
