/** Texts of the errors raised locally (never sent by old peers, so free to be precise). */
export const ERROR_MESSAGES = {
  noResponders: (subject: string) => `No service is listening on ${subject} (NATS no responders)`,
  payloadTooLarge: (subject: string, size: number, limit: number, headerBytes = 0) =>
    `Message to ${subject} is ${size} bytes${headerBytes > 0 ? ` (${headerBytes} of them headers)` : ''}, larger than the server's max_payload of ${limit} bytes`,
  badResponse: (subject: string, reason: string) => `Bad response from ${subject}: ${reason}`,
  notSent: (subject: string, reason: string) => `Not sent to ${subject}: NATS refused the message (${reason})`,
  closed: 'Picom connection closed',
} as const;
