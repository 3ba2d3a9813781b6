import type { MsgHdrs } from '@nats-io/transport-node';
import { BaseRpcContext } from '@nestjs/microservices';

type PicomContextArgs = [subject: string, headers: MsgHdrs | undefined, service: string, method: string];

/**
 * What a Picom handler can learn about the message it serves, through `@Ctx()`.
 *
 * @publicApi
 */
export class PicomContext extends BaseRpcContext<PicomContextArgs> {
  constructor(args: PicomContextArgs) {
    super(args);
  }

  /** The subject the message arrived on, e.g. `service1.add`. */
  getSubject(): string {
    return this.args[0];
  }

  /** NATS headers sent with the message; `undefined` from callers that send none (old Picom peers). */
  getHeaders(): MsgHdrs | undefined {
    return this.args[1];
  }

  /** One header's value, or `undefined`. */
  getHeader(name: string): string | undefined {
    const headers = this.args[1];
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
}
