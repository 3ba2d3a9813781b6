import { callTimeout } from '../../options/picom-options.resolver.js';
import type { PicomHeaders } from '../../requester/picom.requester.js';

/**
 * A message with per-call extras: NATS headers and a timeout.
 *
 * @publicApi
 */
export class PicomRecord<TData = unknown> {
  /** @throws {PicomOptionsError} when `timeout` is given and is not a positive number of milliseconds */
  constructor(
    readonly data: TData,
    readonly headers?: PicomHeaders,
    readonly timeout?: number,
  ) {
    // A record built by hand must fail here, where the caller can see it, not when the client sends it.
    recordTimeout(timeout);
  }
}

/**
 * Builds a `PicomRecord` for `PicomClient.send()` / `emit()`.
 *
 * @example
 * const record = new PicomRecordBuilder({ a: 2, b: 5 }).setHeaders({ 'x-request-id': id }).setTimeout(500).build();
 * this.client.send('service1.add', record);
 *
 * @publicApi
 */
export class PicomRecordBuilder<TData = unknown> {
  private headers?: PicomHeaders;
  private timeout?: number;

  constructor(private data?: TData) {}

  setData(data: TData): this {
    this.data = data;
    return this;
  }

  setHeaders(headers: PicomHeaders): this {
    this.headers = headers;
    return this;
  }

  /**
   * Timeout of this call in milliseconds, instead of the client's default.
   * @throws {PicomOptionsError} when it is not a positive number
   */
  setTimeout(timeout: number): this {
    this.timeout = recordTimeout(timeout);
    return this;
  }

  build(): PicomRecord<TData> {
    return new PicomRecord(this.data as TData, this.headers, this.timeout);
  }
}

/** `undefined` keeps the client's timeout; any other value must be a valid call timeout. */
function recordTimeout(timeout: number | undefined): number | undefined {
  return timeout === undefined ? undefined : callTimeout(timeout, timeout);
}
