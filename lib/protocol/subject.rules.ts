import { MAX_METHOD_NAME_BYTES, MAX_SUBJECT_BYTES } from '../constants.js';
import { PROTOCOL_MESSAGES } from './constants.js';

/**
 * What a Picom subject and method name may look like. A caller addresses
 * `<service>.<method>`: exactly two NATS tokens, no wildcards, no whitespace,
 * and short enough for nats-server's control line (see `MAX_SUBJECT_BYTES`).
 */
const SUBJECT = /^[^.\s*>]+\.[^.\s*>]+$/;
const TOKEN = /^[^.\s*>]+$/;
/** One token or more, joined by dots: what may come before `.<nuid>.<token>` in a reply subject. */
const PREFIX = /^[^.\s*>]+(?:\.[^.\s*>]+)*$/;

/**
 * `service1.add` yes; `service1`, `a.b.c`, `a.*`, `a .b`, `a..b` no, and
 * neither is a subject over `MAX_SUBJECT_BYTES` UTF-8 bytes: a caller refuses
 * to send to a subject exactly when this is false.
 */
export function isValidSubject(subject: unknown): subject is string {
  return typeof subject === 'string' && bytesOver(subject, MAX_SUBJECT_BYTES) === undefined && SUBJECT.test(subject);
}

/**
 * One NATS token: the form of a method or service name. Their lengths have
 * limits of their own (`MAX_METHOD_NAME_BYTES`, `MAX_SERVICE_NAME_BYTES`).
 */
export function isValidToken(token: unknown): token is string {
  return typeof token === 'string' && TOKEN.test(token);
}

/** A prefix of subjects (`_INBOX`, `_INBOX.alice`): tokens joined by dots, none empty, no wildcard or whitespace. */
export function isValidSubjectPrefix(prefix: unknown): prefix is string {
  return typeof prefix === 'string' && PREFIX.test(prefix);
}

/**
 * The UTF-8 bytes of `text` when they are more than `limit`, else `undefined`.
 * A UTF-16 unit takes one to three bytes, so any text of at most `limit / 3`
 * units (every usual subject) is answered from its length, without a pass
 * over it.
 */
export function bytesOver(text: string, limit: number): number | undefined {
  if (text.length * 3 <= limit) {
    return undefined;
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  return bytes > limit ? bytes : undefined;
}

/** Why a caller refuses `subject`, for its `PicomSubjectError`: the limit when only the length is wrong. */
export function subjectRefusal(subject: string): string {
  const bytes = SUBJECT.test(subject) ? bytesOver(subject, MAX_SUBJECT_BYTES) : undefined;
  return bytes === undefined ? PROTOCOL_MESSAGES.invalidSubject(subject) : PROTOCOL_MESSAGES.subjectTooLong(subject, bytes, MAX_SUBJECT_BYTES);
}

/** Why `method` cannot be served (not one token, or over `MAX_METHOD_NAME_BYTES`), or `undefined`. */
export function methodRefusal(method: string): string | undefined {
  if (!isValidToken(method)) {
    return PROTOCOL_MESSAGES.invalidPattern(method);
  }
  const bytes = bytesOver(method, MAX_METHOD_NAME_BYTES);
  return bytes === undefined ? undefined : PROTOCOL_MESSAGES.methodNameTooLong(method, bytes, MAX_METHOD_NAME_BYTES);
}
