/** nats.js' default max_payload, assumed until the server's INFO says otherwise. */
export const FALLBACK_MAX_PAYLOAD = 1024 * 1024;

const authorizationFailed = (server: string): string =>
  `NATS authorization failed at ${server}: check the credentials (token, user/password, NKey or TLS certificate)`;

/** Texts of a connection's errors, and of the lines an endpoint logs once it is connected. */
export const CONNECTION_MESSAGES = {
  listenerFailed: (event: string, reason: string) => `Picom: a "${event}" listener threw; ignored: ${reason}`,
  serving: (service: string, server: string, methods: readonly string[]) =>
    `Picom service ${service} listening on ${server}, queue group ${service}: ${methods.length > 0 ? methods.join(', ') : 'no methods'}`,
  clientConnected: (name: string, server: string) => `Picom client ${name} connected to ${server}`,
  connectionLost: 'NATS connection closed: reconnect attempts exhausted',
  authorization: authorizationFailed,
  authorizationLost: (server: string) =>
    `NATS connection closed: authorization failed at ${server} while reconnecting; check the credentials (token, user/password, NKey or TLS certificate)`,
  permissionDenied: (operation: 'publish' | 'subscribe', subject: string, queue?: string) =>
    operation === 'publish'
      ? `NATS permissions violation: this connection's user may not publish to ${JSON.stringify(subject)}`
      : `NATS permissions violation: this connection's user may not subscribe to ${JSON.stringify(subject)}${queue ? ` in queue group ${JSON.stringify(queue)}` : ''}`,
  tlsCertificateRefused: (servers: string, code: string) =>
    `${authorizationFailed(servers)}; the server refused the TLS client certificate (${code})`,
  tlsHandshakeReset: (servers: string, code: string) =>
    `${authorizationFailed(servers)}; the server reset the TLS handshake, as it does when it refuses a missing or unaccepted client certificate (${code})`,
  connectFailed: (servers: string, reason: string) => `Cannot connect to NATS at ${servers}: ${reason}`,
} as const;

/** Lines a connection logs as its status changes (never on the wire). */
export const CONNECTION_LOG_MESSAGES = {
  disconnected: (server: string) => `Picom: disconnected from NATS at ${server}`,
  reconnected: (server: string) => `Picom: reconnected to NATS at ${server}`,
  stale: 'Picom: NATS connection is stale (no answer to pings within ttl); reconnecting',
  slowConsumer: (subject: string, pending: number) => `Picom: slow consumer on ${subject}: ${pending} messages pending`,
  reported: (text: string) => `Picom: ${text}`,
  serverError: (text: string) => `Picom: NATS server error: ${text}`,
} as const;
