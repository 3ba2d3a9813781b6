import { Controller } from '@nestjs/common';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { PicomClient } from 'picom/nest';
import { firstValueFrom } from 'rxjs';

interface Result {
  result: number;
}

/** This instance's name in `whoami` and logs. */
export const INSTANCE_ID = process.env['INSTANCE_ID'] ?? `nest11-${process.pid}`;

/** The Nest this app runs on: 11.x, from this sample's own node_modules. */
export const NEST_VERSION = (require('@nestjs/core/package.json') as { version: string }).version;

/** Service `service3`: every pattern here answers `service3.<pattern>`. */
@Controller()
export class Service3Controller {
  constructor(private readonly picom: PicomClient) {}

  /** Adds the values one `service1.add` call at a time: Nest 11 calling Nest 12. */
  @MessagePattern('sum')
  async sum(@Payload() { values }: { values: number[] }): Promise<Result & { calls: number }> {
    if (!Array.isArray(values)) {
      throw new RpcException({ message: 'Invalid input: "values" must be an array of numbers', code: 'INVALID_ARGUMENT' });
    }
    let total = 0;
    for (const value of values) {
      ({ result: total } = await firstValueFrom(this.picom.send<Result>('service1.add', { a: total, b: value })));
    }
    return { result: total, calls: values.length };
  }

  /** Which instance answered, on which Nest. */
  @MessagePattern('whoami')
  whoami(): { instance: string; nest: string; pid: number } {
    return { instance: INSTANCE_ID, nest: NEST_VERSION, pid: process.pid };
  }
}
