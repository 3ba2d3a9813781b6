import type { Msg, MsgHdrs } from '@nats-io/transport-node';
import { BaseRpcContext } from '@nestjs/microservices';

type PicomContextArgs = [subject: string, headers: MsgHdrs | undefined, service: string, method: string];

/** What a context reads its headers from: a received nats.js message parses them when `headers` is first read. */
type PicomHeaderSource = Pick<Msg, 'headers'>;

/**
 * What a Picom handler can learn about the message it serves, through `@Ctx()`.
 *
 * The headers are parsed only when something reads them (`getHeaders()`,
 * `getHeader()`, `getArgs()` or `getArgByIndex(1)`): a handler that never asks
 * never pays for them.
 *
 * @publicApi
 */
export class PicomContext extends BaseRpcContext<PicomContextArgs> {
  /** Until the headers are first read; then they are in `args[1]`. */
  private headerSource: PicomHeaderSource | undefined;

  /**
   * @param args subject, headers, service, method
   * @param headerSource the received message: when given, `args[1]` is taken
   *   from its `headers` on first read instead
   */
  constructor(args: PicomContextArgs, headerSource?: PicomHeaderSource) {
    super(args);
    this.headerSource = headerSource;
  }

  /** `[subject, headers, service, method]`, the headers parsed by now. */
  override getArgs(): PicomContextArgs {
    this.readHeaders();
    return this.args;
  }

  /** One of `getArgs()`; only index 1 (the headers) parses them. */
  override getArgByIndex(index: number): any {
    return index === 1 ? this.readHeaders() : super.getArgByIndex(index);
  }

  /** The subject the message arrived on, e.g. `service1.add`. */
  getSubject(): string {
    return this.args[0];
  }

  /** NATS headers sent with the message; `undefined` from callers that send none (old Picom peers). */
  getHeaders(): MsgHdrs | undefined {
    return this.readHeaders();
  }

  /** One header's value, or `undefined`. */
  getHeader(name: string): string | undefined {
    const headers = this.readHeaders();
    return headers?.has(name) ? headers.get(name) : undefined;
  }

  /** The service this server serves, e.g. `service1`. */
  getService(): string {
    return this.args[2];
  }

  /** The method called, e.g. `add`. */
  getMethod(): string {
    return this.args[3];
  }

  private readHeaders(): MsgHdrs | undefined {
    const source = this.headerSource;
    if (source !== undefined) {
      this.headerSource = undefined;
      this.args[1] = source.headers;
    }
    return this.args[1];
  }
}
