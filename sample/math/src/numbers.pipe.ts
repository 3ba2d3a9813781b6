import { Injectable, type PipeTransform } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';

/**
 * Checks that a payload is an object whose named fields are finite numbers.
 * It throws an `RpcException`, not Nest's `BadRequestException`: in a
 * microservice only an `RpcException` reaches the caller as is. A Picom
 * caller gets `{"error":"Invalid input: ...","code":"INVALID_ARGUMENT"}`.
 */
@Injectable()
export class NumbersPipe<K extends string> implements PipeTransform<unknown, Record<K, number>> {
  private readonly fields: readonly K[];

  constructor(...fields: K[]) {
    this.fields = fields;
  }

  transform(value: unknown): Record<K, number> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw invalid(`expected an object with ${this.fields.join(', ')}, got ${describe(value)}`);
    }
    const record = value as Record<string, unknown>;
    for (const field of this.fields) {
      const v = record[field];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw invalid(`"${field}" must be a finite number, got ${describe(v)}`);
      }
    }
    return record as Record<K, number>;
  }
}

function invalid(reason: string): RpcException {
  return new RpcException({ message: `Invalid input: ${reason}`, code: 'INVALID_ARGUMENT' });
}

function describe(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}
