/**
 * Identifies Picom among Nest transports: `@MessagePattern('add', PICOM_TRANSPORT)`
 * binds a handler to Picom only when an app runs several transports.
 *
 * @publicApi
 */
export const PICOM_TRANSPORT: unique symbol = Symbol.for('picom.transport');

/** Injection token of the options given to `PicomModule`. */
export const PICOM_MODULE_OPTIONS = 'PICOM_MODULE_OPTIONS';

export const NEST_MESSAGES = {
  serverNotListening:
    'Not initialized. Please call the "listen"/"startAllMicroservices" method before accessing the server.',
  clientNotConnected: 'Not initialized. Please call the "connect" method first.',
  invalidMessage: 'The pattern and data of a message must not be null or undefined',
  asyncOptionsMissing: 'PicomModule.registerAsync() needs one of useFactory, useClass or useExisting',
  // Bodies of PicomExceptionFilter's HTTP answers: they reach the HTTP caller, so
  // they name the subject at most, never servers, credentials or causes.
  httpTimedOut: (subject: string, timeout: number) => `${subject} did not answer within ${timeout} ms`,
  httpNoResponders: (subject: string) => `No service is available to answer ${subject}`,
  httpUnavailable: 'The service is unavailable; try again later',
  httpPayloadTooLarge: (subject: string) => `The request to ${subject} is larger than the services accept`,
  httpBadResponse: (subject: string) => `${subject} answered with an invalid reply`,
  httpInternalError: 'Internal server error',
  /** Reason phrase of a status Node has no name for (RFC 9110 names the classes). */
  httpReason: (status: number) => (status < 500 ? 'Client Error' : 'Server Error'),
  filterWithoutAdapter:
    'PicomExceptionFilter has no HTTP adapter: register it with APP_FILTER, with useGlobalFilters(new PicomExceptionFilter(httpAdapter)), or with @UseFilters(PicomExceptionFilter) (the class, not an instance)',
} as const;
