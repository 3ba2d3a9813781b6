/**
 * Characters of a reply token, the last token of a reply subject: 64 random
 * bits in base64url. A peer that sees one reply subject must not be able to
 * guess the others, so tokens are random rather than a counter.
 */
export const REPLY_TOKEN_LENGTH = 11;
/** Tokens drawn from one `crypto.randomFillSync` call: one call per this many requests. */
export const REPLY_TOKENS_PER_FILL = 512;

/** Texts of a caller's errors: headers refused before sending, replies refused on arrival, a call that cannot go out. */
export const REQUESTER_MESSAGES = {
  /** `value` is already described safely. */
  headersNotRecord: (subject: string, value: string) =>
    `Invalid headers ${value} for ${subject}: expected an object of header names to strings or arrays of strings; nothing was sent`,
  /** `name` is the header name, already quoted and shortened. */
  headerNotString: (subject: string, name: string, kind: string) =>
    `Invalid header ${name} for ${subject}: its value is ${kind}, expected a string or an array of strings; nothing was sent`,
  headerNameEmpty: (subject: string) => `Invalid header for ${subject}: a header name cannot be empty; nothing was sent`,
  invalidHeader: (subject: string, name: string, reason: string) =>
    `Invalid header ${name} for ${subject}: ${reason}; names are printable ASCII without spaces or ":", values have no CR or LF; nothing was sent`,
  replyHeadersOverLimit: (overflow: string) => `its header block is over the limit, ${overflow}; it was not parsed`,
  disconnected: (subject: string) =>
    `Not sent to ${subject}: the NATS connection is down and reconnecting (nats.js would drop the message on its next dial)`,
  inboxDenied: (subject: string) =>
    `NATS permissions violation: this connection's user may not subscribe to its reply inbox ${JSON.stringify(subject)}; allow it or set the "inboxPrefix" option to a prefix the user may subscribe to`,
} as const;

/** Lines a caller logs (never on the wire). */
export const REQUESTER_LOG_MESSAGES = {
  inboxFailed: (reason: string) => `Picom: reply inbox failed: ${reason}`,
  replyCallbackThrew: (subject: string, reason: string) => `Picom: reply callback for ${subject} threw: ${reason}`,
} as const;
