import {
  DEFAULT_VERSION,
  MAX_CONNECTION_NAME_BYTES,
  MAX_INBOX_PREFIX_BYTES,
  MAX_SERVICE_NAME_BYTES,
} from '../constants.js';
import { kindOf } from '../errors/describe-value.js';
import { PicomOptionsError } from '../errors/index.js';
import type { PicomLogger } from '../interfaces/picom-logger.interface.js';
import { bytesOver, isValidSubjectPrefix } from '../protocol/subject.rules.js';
import { OPTION_MESSAGES, SEMVER_PATTERN } from './constants.js';

const INVALID_SERVICE_CHARS = /[.*>\s]/;

/** A finite number above 0: a timeout, a wait, a ttl. */
export function isPositiveNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/** An integer of at least `min`: a count, a bound, a number of milliseconds that may be 0. */
export function isIntegerFrom(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min;
}

/**
 * An option's value as an error names it: strings quoted, numbers and booleans
 * as written, objects by type only (they may hold credentials).
 */
export function describeOption(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (Array.isArray(value) && value.length === 0) return '[]';
  return `of type ${Array.isArray(value) ? 'array' : typeof value}`;
}

/** Options must be an object: a string or number would silently mean "all defaults". */
export function requireOptionsObject(options: unknown): asserts options is object {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new PicomOptionsError(OPTION_MESSAGES.invalidOptions(describeOption(options)));
  }
}

/**
 * Validates the timeout of one call: `undefined` means `fallback` (the
 * endpoint's timeout); anything else must be a finite number of ms above 0.
 *
 * @throws {PicomOptionsError} naming the value
 */
export function callTimeout(value: unknown, fallback: number): number {
  if (value === undefined) {
    return fallback;
  }
  if (!isPositiveNumber(value)) {
    throw new PicomOptionsError(OPTION_MESSAGES.callTimeout(describeOption(value)));
  }
  return value;
}

/**
 * Checks a service name: one NATS token, since it becomes the subject prefix
 * and the queue group, of at most `MAX_SERVICE_NAME_BYTES` UTF-8 bytes.
 */
export function validateServiceName(service: unknown): string {
  if (typeof service !== 'string' || service.length === 0) {
    throw new PicomOptionsError(OPTION_MESSAGES.serviceNameNotString(describeOption(service)));
  }
  if (INVALID_SERVICE_CHARS.test(service)) {
    throw new PicomOptionsError(OPTION_MESSAGES.serviceNameNotToken(service));
  }
  const bytes = bytesOver(service, MAX_SERVICE_NAME_BYTES);
  if (bytes !== undefined) {
    throw new PicomOptionsError(OPTION_MESSAGES.serviceNameTooLong(service, bytes, MAX_SERVICE_NAME_BYTES));
  }
  return service;
}

/**
 * Checks the `inboxPrefix` option: a subject prefix (nats.js would only fail
 * on it at the first call, with its own error) of at most
 * `MAX_INBOX_PREFIX_BYTES` UTF-8 bytes.
 */
export function validateInboxPrefix(prefix: string): string {
  if (!isValidSubjectPrefix(prefix)) {
    throw new PicomOptionsError(OPTION_MESSAGES.inboxPrefixInvalid(prefix));
  }
  const bytes = bytesOver(prefix, MAX_INBOX_PREFIX_BYTES);
  if (bytes !== undefined) {
    throw new PicomOptionsError(OPTION_MESSAGES.inboxPrefixTooLong(prefix, bytes, MAX_INBOX_PREFIX_BYTES));
  }
  return prefix;
}

/**
 * Checks the connection name as the CONNECT line carries it: JSON-escaped, so
 * that a name of quotes or control characters is counted at its real size.
 */
export function validateConnectionName(name: string): string {
  const bytes = Buffer.byteLength(JSON.stringify(name), 'utf8') - 2;
  if (bytes > MAX_CONNECTION_NAME_BYTES) {
    throw new PicomOptionsError(OPTION_MESSAGES.connectionNameTooLong(name, bytes, MAX_CONNECTION_NAME_BYTES));
  }
  return name;
}

/** SemVer as semver.org writes it: the micro protocol's schemas refuse anything else. */
export function resolveVersion(value: unknown): string {
  if (value === undefined) {
    return DEFAULT_VERSION;
  }
  if (typeof value !== 'string' || !SEMVER_PATTERN.test(value)) {
    throw new PicomOptionsError(OPTION_MESSAGES.versionInvalid(describeOption(value)));
  }
  return value;
}

/** A frozen copy: a later change to the caller's object does not change what discovery reports. */
export function resolveMetadata(value: unknown): Readonly<Record<string, string>> {
  if (value === undefined) {
    return Object.freeze({});
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PicomOptionsError(OPTION_MESSAGES.metadataInvalid(describeOption(value)));
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new PicomOptionsError(OPTION_MESSAGES.metadataInvalid(describeOption(value)));
  }
  const copy: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      throw new PicomOptionsError(OPTION_MESSAGES.metadataValueNotString(key, kindOf(entry)));
    }
    // defineProperty: a "__proto__" key stays a key, as JSON has it.
    Object.defineProperty(copy, key, { value: entry, enumerable: true, writable: true, configurable: true });
  }
  return Object.freeze(copy);
}

/** A logger has the three methods Picom calls; anything else is refused before it can fail at the first log line. */
export function validateLogger(logger: unknown): PicomLogger {
  const candidate = logger as Partial<PicomLogger> | null;
  if (
    !candidate ||
    typeof candidate.error !== 'function' ||
    typeof candidate.warn !== 'function' ||
    typeof candidate.log !== 'function'
  ) {
    throw new PicomOptionsError(OPTION_MESSAGES.invalidLogger);
  }
  return candidate as PicomLogger;
}
