import { ClientProxy, Server, type ReadPacket } from '@nestjs/microservices';
import { PicomError } from '../../errors/index.js';
import { NEST_MESSAGES } from '../constants.js';

/*
 * What differs between the Nest majors picom/nest runs on, in one place. Each
 * difference is found by looking at Nest's classes, never at version numbers,
 * so one build serves Nest 11 (CommonJS) and Nest 12 (ESM):
 *
 * - `ClientProxy#createPacket` runs the dispatch hook (`setOnDispatchHook`) and
 *   `ReadPacket#metadata` carries what it set: Nest 12 only.
 * - `Server#createProcessingEndHookRunner`: Nest 12 only; the processing hooks
 *   themselves (`onProcessingStartHook`, `onProcessingEndHook`) came in 11.1,
 *   so 11.0's typings have neither.
 * - `Server#propagatesEventHandlerErrors`: Nest 12 only; Nest 11 always
 *   propagates an event handler's failure to the transport.
 * - `Server#getPatternAsString`: 11.2.5 and later; picom does without it.
 */

/** The members of Nest's classes that not every supported version has. */
interface ClientFeatures {
  createPacket?(pattern: unknown, data: unknown): ReadPacket;
}

/** Nest's processing start hook: runs `done` (the handler) in whatever context it sets up. */
export type ProcessingStartHook = (transportId: any, context: any, done: () => Promise<any>) => void;

interface ServerFeatures {
  readonly transportId?: unknown;
  onProcessingStartHook?: ProcessingStartHook;
  onProcessingEndHook?: (transportId: any, context: unknown) => void;
  createProcessingEndHookRunner?(context: unknown): () => void;
}

/** The packet a call or an event sends: with the dispatch hook's metadata where Nest has the hook. */
export function createPacket(client: object, pattern: unknown, data: unknown): ReadPacket {
  const features = client as unknown as ClientFeatures;
  return typeof features.createPacket === 'function' ? features.createPacket(pattern, data) : { pattern, data };
}

/** Metadata a dispatch hook set on a packet (Nest 12), in headers beside the body. */
export function packetMetadata(packet: ReadPacket): Readonly<Record<string, string>> | undefined {
  return (packet as { metadata?: Record<string, string> }).metadata;
}

/**
 * The server's processing start hook: Nest's default (which only calls `done`)
 * until `setOnProcessingStartHook` replaces it; `undefined` before Nest 11.1.
 */
export function processingStartHook(server: object): ProcessingStartHook | undefined {
  return (server as ServerFeatures).onProcessingStartHook;
}

/** Whether `setOnProcessingEndHook` set an end hook (Nest has none by default). */
export function hasProcessingEndHook(server: object): boolean {
  return (server as ServerFeatures).onProcessingEndHook !== undefined;
}

/** Runs `done` through the server's start hook, called as Nest calls it (on the server); directly where Nest has none. */
export function runProcessingStartHook(server: object, context: unknown, done: () => Promise<void>): void {
  const features = server as ServerFeatures;
  if (features.onProcessingStartHook === undefined) {
    void done();
    return;
  }
  features.onProcessingStartHook(features.transportId, context, done);
}

/** A function that runs the processing end hook once, however often it is called. */
export function endHookRunner(server: object, context: unknown): () => void {
  const features = server as unknown as ServerFeatures;
  if (typeof features.createProcessingEndHookRunner === 'function') {
    return features.createProcessingEndHookRunner(context);
  }
  let ran = false;
  return () => {
    if (!ran) {
      ran = true;
      features.onProcessingEndHook?.(features.transportId, context);
    }
  };
}

/**
 * Tells Nest (12) to hand an event handler's failure to the transport rather
 * than log it: a request to an event is answered with the error, a publish is
 * logged by the responder. Nest 11 always does so, and has no such member.
 */
export function propagateEventHandlerErrors(server: object): void {
  Object.defineProperty(server, 'propagatesEventHandlerErrors', { value: true, enumerable: true });
}

/** A pattern as text for an error message, whatever it is (`getPatternAsString` came in 11.2.5). */
export function patternText(pattern: unknown): string {
  try {
    return typeof pattern === 'string' ? pattern : (JSON.stringify(pattern) ?? String(pattern));
  } catch {
    return String(pattern);
  }
}

/**
 * Throws a clear error at construction when Nest is older than 11: Nest 10's
 * `Server` and `ClientProxy` have no `status`, `on` or `unwrap`, and would fail
 * later with a `TypeError` deep inside Nest.
 */
export function assertSupportedNest(): void {
  if (!hasStatus(Server.prototype) || !hasStatus(ClientProxy.prototype)) {
    throw new PicomError(NEST_MESSAGES.unsupportedNest);
  }
}

function hasStatus(prototype: object): boolean {
  return typeof Object.getOwnPropertyDescriptor(prototype, 'status')?.get === 'function';
}
