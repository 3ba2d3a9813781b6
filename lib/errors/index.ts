export * from './picom.error.js';
export * from './picom-reply.error.js';
export * from './picom-remote.error.js';
export * from './picom-request.errors.js';
export * from './picom-connection.error.js';
export * from './picom-send.errors.js';
