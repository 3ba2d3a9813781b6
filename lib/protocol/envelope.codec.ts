import { PROTOCOL_MESSAGES } from './constants.js';
import { kindOf } from '../errors/describe-value.js';
import { PicomBadResponseError, PicomEncodeError, PicomError, PicomRemoteError, PicomReplyError } from '../errors/index.js';
import { joinBytes, toBytes } from './bytes.js';

/**
 * Encoding and decoding of Picom bodies, byte-compatible with the original
 * library (see docs/protocol.md). Pure functions: no NATS in here.
 */

/** Returned by `decodeRequest` for a body that is not UTF-8 JSON. */
export const BAD_REQUEST: unique symbol = Symbol('picom.badRequest');

const utf8 = new TextDecoder('utf-8', { fatal: true });
const EMPTY_ENVELOPE = '{}';
const PAYLOAD_OPEN = '{"payload":';
const PAYLOAD_CLOSE = '}';

/** Request body: JSON text, or an empty body for a call without a message. */
export function encodeRequest(message: unknown): string {
  if (message === undefined) {
    return '';
  }
  return JSON.stringify(message) ?? '';
}

/** `encodeRequest` for a caller: what cannot be encoded throws a `PicomEncodeError` naming `what`. */
export function encodeBody(message: unknown, what: string): string {
  try {
    return encodeRequest(message);
  } catch (err) {
    throw new PicomEncodeError(PROTOCOL_MESSAGES.unserializable(what, (err as Error).message), { cause: err });
  }
}

/** Decodes a request body: `null` when empty, `BAD_REQUEST` when not UTF-8 JSON. */
export function decodeRequest(data: Uint8Array): unknown {
  if (data.length === 0) {
    return null;
  }
  try {
    return JSON.parse(utf8.decode(data));
  } catch {
    return BAD_REQUEST;
  }
}

/**
 * `{"payload": v}` as UTF-8 bytes; `{}` when the handler resolved with
 * `undefined`. Throws when `v` cannot be encoded.
 */
export function encodeSuccess(payload: unknown): Uint8Array {
  const json = payload === undefined ? undefined : JSON.stringify(payload);
  // Written around the JSON rather than stringify({ payload }) or a joined
  // string: no wrapper object and no second copy of a large payload per reply.
  return json === undefined ? toBytes(EMPTY_ENVELOPE) : joinBytes(PAYLOAD_OPEN, json, PAYLOAD_CLOSE);
}

/** `{"error": text}` with optional extra fields beside it (old callers ignore them). */
export function encodeFailure(text: string, fields?: Record<string, unknown>): string {
  if (fields) {
    const extra: Record<string, unknown> = { error: text };
    for (const key of Object.keys(fields)) {
      if (key !== 'error' && key !== 'payload') {
        extra[key] = fields[key];
      }
    }
    const json = safeStringify(extra);
    if (json !== undefined) {
      return json;
    }
  }
  return JSON.stringify({ error: text });
}

/**
 * The legacy error text of a rejection: a string as is; an `Error`'s message,
 * followed by a space and its JSON when it has own enumerable fields; anything
 * else as JSON.
 */
export function errorText(err: unknown): string {
  if (typeof err === 'string') {
    return err;
  }
  if (err instanceof Error) {
    const json = safeStringify(err);
    return json === undefined || json === '{}' ? err.message : `${err.message} ${json}`;
  }
  return safeStringify(err) ?? String(err);
}

/** An error envelope and the text it carries (for stats and spans, so that nobody parses the envelope back). */
export interface ErrorEnvelope {
  readonly text: string;
  readonly body: string;
}

/** `{"error": text}` with optional fields, beside its text. */
export function failureEnvelope(text: string, fields?: Record<string, unknown>): ErrorEnvelope {
  return { text, body: encodeFailure(text, fields) };
}

/** The error envelope a server sends for a failed handler. */
export function encodeError(err: unknown): ErrorEnvelope {
  if (err instanceof PicomReplyError) {
    // Thrown to reply with fields, or a downstream failure rethrown as is:
    // text and fields travel intact.
    return failureEnvelope(err.message, err.fields);
  }
  if (err instanceof PicomError) {
    return failureEnvelope(err.message);
  }
  return failureEnvelope(errorText(err));
}

/**
 * Reads a reply envelope: the payload, or throws `PicomRemoteError` for an
 * error envelope and `PicomBadResponseError` for anything that is not one.
 * A falsy `error` is no error, as old callers have it; a truthy one that is
 * not a string is a bad response carrying the value as `raw`, never turned
 * into text (`[object Object]`, or a `TypeError` from a hostile `toString`).
 */
export function decodeReply(data: Uint8Array, subject: string): unknown {
  let envelope: unknown;
  try {
    envelope = JSON.parse(utf8.decode(data));
  } catch (cause) {
    throw new PicomBadResponseError(subject, { cause });
  }
  if (envelope === null || typeof envelope !== 'object' || Array.isArray(envelope)) {
    throw new PicomBadResponseError(subject);
  }
  const reply = envelope as { payload?: unknown; error?: unknown };
  const error = reply.error;
  if (error) {
    if (typeof error !== 'string') {
      throw new PicomBadResponseError(subject, { reason: PROTOCOL_MESSAGES.errorNotString(kindOf(error)), raw: error });
    }
    throw new PicomRemoteError(error, subject, otherFields(reply));
  }
  return reply.payload;
}


function otherFields(reply: Record<string, unknown>): Record<string, unknown> | undefined {
  let fields: Record<string, unknown> | undefined;
  for (const key of Object.keys(reply)) {
    if (key !== 'error' && key !== 'payload') {
      (fields ??= {})[key] = reply[key];
    }
  }
  return fields;
}

function safeStringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
