import { quote } from '../errors/describe-value.js';

/** Subject prefix of the micro protocol's requests: `$SRV.PING`, `$SRV.INFO.<name>`, … */
export const MICRO_PREFIX = '$SRV';
/** What the micro protocol allows as a service or endpoint name. */
export const MICRO_NAME_PATTERN = /^[a-zA-Z0-9_-]+$/;
/**
 * The STATS entry that counts what never reached a handler (unknown methods,
 * refused headers, overload): one entry, whatever callers send.
 */
export const MICRO_REFUSED_ENDPOINT = '_refused';

/** Lines the discovery responder logs. */
export const MICRO_MESSAGES = {
  permissionDenied: (service: string, subject: string) =>
    `Picom: service ${service} serves, but is not listed by discovery: this connection's user may not subscribe to ${JSON.stringify(subject)}. ` +
    'Allow subscribe on "$SRV.>" for it, or set discovery: false',
} as const;

// A name from a JavaScript caller may be any value: strings are quoted (and shortened), the rest named by type.
const quoteAny = (value: unknown): string => (typeof value === 'string' ? quote(value) : `of type ${value === null ? 'null' : typeof value}`);

/** Texts of `PicomDiscovery`: its errors, and the reasons it gives `onIgnored` for an answer it drops. */
export const DISCOVERY_MESSAGES = {
  invalidTimeout: (value: string) => `Invalid discovery timeout ${value}: expected a positive number of milliseconds`,
  invalidMax: (value: string) => `Invalid discovery max ${value}: expected a positive integer`,
  idWithoutService: 'A discovery request for one instance id needs its service name',
  invalidService: (service: unknown) =>
    `Invalid service name ${quoteAny(service)}: expected one NATS token without spaces, dots or wildcards`,
  invalidId: (id: unknown) => `Invalid instance id ${quoteAny(id)}: expected one NATS token`,
  requestFailed: (reason: string) => `Discovery request failed: ${reason}`,
  notJson: 'not JSON',
  notObject: 'not a JSON object',
  wrongType: (found: unknown, expected: string) => `type ${JSON.stringify(found) ?? 'undefined'} instead of ${expected}`,
  noIdentity: 'no string name and id',
} as const;
