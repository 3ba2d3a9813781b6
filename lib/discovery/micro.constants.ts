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
