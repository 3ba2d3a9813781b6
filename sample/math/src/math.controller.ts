import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { PicomContext } from 'picom/nest';
import { NumbersPipe } from './numbers.pipe.js';

export interface Result {
  result: number;
}

export interface AuditEvent {
  id: string;
  source: string;
  text: string;
}

/** This instance's name in `whoami` and logs. */
export const INSTANCE_ID = process.env['INSTANCE_ID'] ?? `math-${process.pid}`;

/** Longest `sleep` the service agrees to, in ms. */
const MAX_SLEEP_MS = 10_000;

/**
 * Service `service1`: every pattern here answers `service1.<pattern>`, and
 * every running instance shares the load (NATS queue group `service1`).
 */
@Controller()
export class MathController {
  private readonly logger = new Logger(MathController.name);

  @MessagePattern('add')
  add(@Payload(new NumbersPipe('a', 'b')) { a, b }: Record<'a' | 'b', number>): Result {
    return { result: a + b };
  }

  @MessagePattern('divide')
  divide(@Payload(new NumbersPipe('a', 'b')) { a, b }: Record<'a' | 'b', number>): Result {
    if (b === 0) {
      // The object's fields travel beside the message: {"error":"Cannot divide by zero","code":"DIVISION_BY_ZERO"}
      throw new RpcException({ message: 'Cannot divide by zero', code: 'DIVISION_BY_ZERO' });
    }
    return { result: a / b };
  }

  /** Answers after `ms` milliseconds: something slow, for callers to time out on. */
  @MessagePattern('sleep')
  async sleep(@Payload(new NumbersPipe('ms')) { ms }: Record<'ms', number>): Promise<{ slept: number }> {
    const slept = Math.min(Math.max(ms, 0), MAX_SLEEP_MS);
    await sleep(slept);
    return { slept };
  }

  /** Which instance answered: shows the load spread over instances. */
  @MessagePattern('whoami')
  whoami(): { instance: string; pid: number } {
    return { instance: INSTANCE_ID, pid: process.pid };
  }

  /** An event (published, no reply): exactly one instance of the service gets it. */
  @EventPattern<string>('audit')
  audit(@Payload() event: AuditEvent, @Ctx() ctx: PicomContext): void {
    this.logger.log(`audit ${event.id} from ${event.source} on ${ctx.getSubject()}: ${event.text}`);
  }
}
