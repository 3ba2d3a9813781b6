import { randomUUID } from 'node:crypto';
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { PicomClient, PicomRecordBuilder } from 'picom/nest';
import { firstValueFrom, lastValueFrom } from 'rxjs';

export interface Result {
  result: number;
}

/** What `service2.sum` answers: the total, the `service1.add` calls it made, the id of the audit event it published. */
export interface SumResult extends Result {
  calls: number;
  audit: string;
}

/** What the gateway sends for `/add?a=2&b=5`: numbers when the query holds numbers. */
export type Operand = number | string | undefined;

/** Budget of `/sleep` calls: shorter than the client's default timeout. */
const SLEEP_TIMEOUT_MS = 1_000;

/**
 * Calls the Picom services: `service1` (the Nest `math` sample) and
 * `service2` (the plain `legacy` sample) through the same client.
 */
@Injectable()
export class CalcService implements OnApplicationBootstrap {
  constructor(private readonly picom: PicomClient) {}

  /** Connect at start-up rather than on the first call: a wrong address fails fast. */
  async onApplicationBootstrap(): Promise<void> {
    await this.picom.connect();
  }

  add(a: Operand, b: Operand): Promise<Result> {
    return firstValueFrom(this.picom.send<Result>('service1.add', { a, b }));
  }

  divide(a: Operand, b: Operand): Promise<Result> {
    return firstValueFrom(this.picom.send<Result>('service1.divide', { a, b }));
  }

  multiply(a: Operand, b: Operand): Promise<Result> {
    return firstValueFrom(this.picom.send<Result>('service2.multiply', { a, b }));
  }

  /** `service2` (plain Picom) calls `service1` once per value: a request crossing three processes. */
  sum(values: Operand[] | undefined): Promise<SumResult> {
    return firstValueFrom(this.picom.send<SumResult>('service2.sum', { values }));
  }

  /** A call with its own timeout, set through a record. */
  sleep(ms: Operand): Promise<{ slept: number }> {
    const record = new PicomRecordBuilder({ ms }).setTimeout(SLEEP_TIMEOUT_MS).build();
    return firstValueFrom(this.picom.send<{ slept: number }>('service1.sleep', record));
  }

  /** Publishes an `audit` event to `service1`: no reply, one instance handles it. */
  async audit(text: string): Promise<{ id: string }> {
    const id = randomUUID();
    await lastValueFrom(this.picom.emit('service1.audit', { id, source: 'gateway', text }), { defaultValue: undefined });
    return { id };
  }
}
