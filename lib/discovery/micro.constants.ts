/** Subject prefix of the micro protocol's requests: `$SRV.PING`, `$SRV.INFO.<name>`, … */
export const MICRO_PREFIX = '$SRV';

/** Lines the discovery responder logs. */
export const MICRO_MESSAGES = {
  permissionDenied: (service: string, subject: string) =>
    `Picom: service ${service} serves, but is not listed by discovery: this connection's user may not subscribe to ${JSON.stringify(subject)}. ` +
    'Allow subscribe on "$SRV.>" for it, or set discovery: false',
} as const;
