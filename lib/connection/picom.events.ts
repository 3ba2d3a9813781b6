import { CONNECTION_MESSAGES } from './constants.js';
import type { PicomLogger } from '../interfaces/picom-logger.interface.js';
import type { PicomEventsMap } from './picom-status.js';

type Listener = (...args: any[]) => unknown;

/**
 * Where an endpoint reports its events. Owned by the endpoint, so listeners
 * can be added before the connection exists and survive a reconnect.
 *
 * Listeners are guests: one that throws (or returns a promise that rejects) is
 * logged and changes nothing else. Node's EventEmitter would let the error
 * escape into the status loop that called it, which then stops, leaving the
 * endpoint's status stale for ever.
 */
export class PicomEvents {
  private readonly listeners = new Map<keyof PicomEventsMap, Listener[]>();

  constructor(private readonly logger: PicomLogger) {}

  on<E extends keyof PicomEventsMap>(event: E, listener: PicomEventsMap[E]): void {
    const list = this.listeners.get(event);
    if (list) {
      list.push(listener);
    } else {
      this.listeners.set(event, [listener]);
    }
  }

  emit<E extends keyof PicomEventsMap>(event: E, ...args: Parameters<PicomEventsMap[E]>): void {
    const list = this.listeners.get(event);
    if (list === undefined) {
      return;
    }
    // A copy: a listener that adds another must not make this loop run it now.
    for (const listener of [...list]) {
      try {
        const result = listener(...args);
        if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
          (result as PromiseLike<unknown>).then(undefined, (err: unknown) => this.report(event, err));
        }
      } catch (err) {
        this.report(event, err);
      }
    }
  }

  private report(event: keyof PicomEventsMap, err: unknown): void {
    try {
      this.logger.error(CONNECTION_MESSAGES.listenerFailed(event, err instanceof Error ? (err.stack ?? err.message) : String(err)));
    } catch {
      // A logger that throws has nowhere left to report to.
    }
  }
}
