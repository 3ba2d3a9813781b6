import { Catch, HttpException, HttpStatus, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import {
  PicomConnectionError,
  PicomError,
  PicomNoRespondersError,
  PicomRemoteError,
  PicomTimeoutError,
} from 'picom';

/**
 * Answers a failed Picom call with an HTTP status that says whose fault it is:
 *
 * | failure                                        | status |
 * | ---------------------------------------------- | ------ |
 * | remote error with `code: 'INVALID_ARGUMENT'`   | 400    |
 * | remote error with any other `code`             | 422    |
 * | remote error without a code (a crash, a bug)   | 502    |
 * | no reply within the timeout                    | 504    |
 * | nobody serves the subject, NATS unreachable    | 503    |
 * | anything else Picom raised                     | 500    |
 */
@Catch(PicomError)
export class PicomExceptionFilter extends BaseExceptionFilter {
  override catch(error: PicomError, host: ArgumentsHost): void {
    super.catch(toHttpException(error), host);
  }
}

export function toHttpException(error: PicomError): HttpException {
  if (error instanceof PicomRemoteError) {
    const code = error.fields['code'];
    if (typeof code !== 'string') {
      return httpError(HttpStatus.BAD_GATEWAY, error.message);
    }
    const status = code === 'INVALID_ARGUMENT' ? HttpStatus.BAD_REQUEST : HttpStatus.UNPROCESSABLE_ENTITY;
    return httpError(status, error.message, code);
  }
  if (error instanceof PicomTimeoutError) {
    return httpError(HttpStatus.GATEWAY_TIMEOUT, error.message);
  }
  if (error instanceof PicomNoRespondersError || error instanceof PicomConnectionError) {
    return httpError(HttpStatus.SERVICE_UNAVAILABLE, error.message);
  }
  return httpError(HttpStatus.INTERNAL_SERVER_ERROR, error.message);
}

function httpError(statusCode: HttpStatus, message: string, code?: string): HttpException {
  return new HttpException(code === undefined ? { statusCode, message } : { statusCode, message, code }, statusCode);
}
