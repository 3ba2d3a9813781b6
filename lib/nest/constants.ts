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
} as const;
