import { quote } from '../errors/describe-value.js';

/** Texts of an endpoint's lifecycle: a call ahead of the first connect, a lost connection, discovery left out. */
export const ENDPOINT_MESSAGES = {
  connectPending: (subject: string, timeout: number) =>
    `Not connected to NATS within the ${timeout} ms timeout of the call to ${subject}: the first connect is still under way`,
  lostServing: (reason: string, service: string) =>
    `Picom: ${reason}. Service ${service} no longer receives requests; this process will end with exit code 1 unless something else keeps it running. Restart it, or let it reconnect for ever with retries: -1 (the default)`,
  lostCalling: (reason: string) =>
    `Picom: ${reason}. The next call dials NATS again; retries: -1 (the default) reconnects for ever`,
  notConnected: 'Not connected: call listen()/connect() first',
  nameNotListed: (service: string) =>
    `Picom: service ${quote(service)} serves, but is not listed by discovery ($SRV.PING|INFO|STATS): ` +
    'the NATS micro protocol allows only letters, digits, "_" and "-" in a service name; set discovery: false to silence this line',
} as const;

/** The `token` of a call waiting for the first connect (a reply token is never empty). */
export const AWAITING_CONNECT = '';
