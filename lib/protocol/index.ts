export * from './envelope.codec.js';
export * from './subject.rules.js';
