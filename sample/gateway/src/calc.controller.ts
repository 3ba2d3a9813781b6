import { Body, Controller, Get, HttpCode, HttpStatus, Post, Query } from '@nestjs/common';
import { CalcService, type Operand, type Result, type SumResult } from './calc.service.js';

/**
 * HTTP in front of the Picom services. The gateway does not validate the
 * operands itself: the services do, and their errors come back as HTTP
 * statuses (see `CalcExceptionFilter`).
 */
@Controller()
export class CalcController {
  constructor(private readonly calc: CalcService) {}

  /** `GET /add?a=2&b=5` → `{"result":7}`, computed by the Nest `math` service. */
  @Get('add')
  add(@Query('a') a?: string, @Query('b') b?: string): Promise<Result> {
    return this.calc.add(operand(a), operand(b));
  }

  /** `GET /divide?a=1&b=0` → 422, the service refuses. */
  @Get('divide')
  divide(@Query('a') a?: string, @Query('b') b?: string): Promise<Result> {
    return this.calc.divide(operand(a), operand(b));
  }

  /** `GET /multiply?a=6&b=7` → `{"result":42}`, computed by the plain `legacy` service. */
  @Get('multiply')
  multiply(@Query('a') a?: string, @Query('b') b?: string): Promise<Result> {
    return this.calc.multiply(operand(a), operand(b));
  }

  /**
   * `GET /sum?values=1,2,3` → `{"result":6,"calls":3,...}`: three hops — the
   * plain `legacy` service sums by calling the Nest `math` service once per value.
   */
  @Get('sum')
  sum(@Query('values') values?: string): Promise<SumResult> {
    return this.calc.sum(values === undefined ? undefined : values.split(',').map(operand));
  }

  /** `GET /sleep?ms=1500` → 504: the call's 1 s budget runs out first. */
  @Get('sleep')
  sleep(@Query('ms') ms?: string): Promise<{ slept: number }> {
    return this.calc.sleep(operand(ms));
  }

  /** `POST /audit {"text":"..."}` → 202 `{"id":"..."}`: an event, nobody replies. */
  @Post('audit')
  @HttpCode(HttpStatus.ACCEPTED)
  audit(@Body() body: { text?: unknown } = {}): Promise<{ id: string }> {
    return this.calc.audit(String(body.text ?? ''));
  }
}

/** A query value as a number when it is one; otherwise as given, for the service to judge. */
function operand(value: string | undefined): Operand {
  return value !== undefined && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
}
