/**
 * What a Picom subject and method name may look like. A caller addresses
 * `<service>.<method>`: exactly two NATS tokens, no wildcards, no whitespace.
 */
const SUBJECT = /^[^.\s*>]+\.[^.\s*>]+$/;
const TOKEN = /^[^.\s*>]+$/;

/** `service1.add` yes; `service1`, `a.b.c`, `a.*`, `a .b`, `a..b` no. */
export function isValidSubject(subject: unknown): subject is string {
  return typeof subject === 'string' && SUBJECT.test(subject);
}

/** One NATS token: a method or service name. */
export function isValidToken(token: unknown): token is string {
  return typeof token === 'string' && TOKEN.test(token);
}
