import { STATUS_CODES } from 'node:http';
import { Catch, HttpStatus, Logger, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { BaseRpcExceptionFilter } from '@nestjs/microservices';
import {
  PicomBadResponseError,
  PicomConnectionError,
  PicomError,
  PicomNoRespondersError,
  PicomPayloadTooLargeError,
  PicomRemoteError,
  PicomTimeoutError,
} from '../../errors/index.js';
import { NEST_MESSAGES } from '../constants.js';

/** The JSON body of a failed call's HTTP answer, shaped like Nest's own `HttpException` bodies. */
export interface PicomHttpErrorBody {
  statusCode: number;
  /** The status's reason phrase, e.g. `Gateway Timeout`. */
  error: string;
  message: string;
  /** The `code` field of a remote error's envelope, when it had one. */
  code?: string | number;
}

/** The HTTP answer to a failed Picom call. */
export interface PicomHttpErrorResponse {
  status: number;
  body: PicomHttpErrorBody;
}

/** Envelope fields through which a service picks the HTTP status of its error, looked at in this order. */
const STATUS_FIELDS = ['status', 'statusCode'] as const;

/**
 * Answers an HTTP request whose handler failed on a Picom call with a status
 * that says whose fault it is, and a body shaped like Nest's
 * (`{ statusCode, error, message }`) that names the failed subject at most:
 *
 * | error                                                   | status |
 * | ------------------------------------------------------- | ------ |
 * | `PicomRemoteError` with a `status`/`statusCode` 400–599 | that   |
 * | any other `PicomRemoteError`, `PicomBadResponseError`   | 502    |
 * | `PicomTimeoutError`                                     | 504    |
 * | `PicomNoRespondersError`, `PicomConnectionError`        | 503    |
 * | `PicomPayloadTooLargeError`                             | 413    |
 * | any other `PicomError` (a bug on this side)             | 500    |
 *
 * A remote error's text and `code` are shown (the service chose to send them);
 * causes, stacks and server addresses never are. Other exceptions are left to
 * Nest (other filters, then its default answers). Override `toHttpResponse()`
 * to map errors differently.
 *
 * It extends `BaseExceptionFilter`, so it needs the HTTP adapter: let Nest
 * create it (`APP_FILTER`, `@UseFilters(PicomExceptionFilter)`) or pass the
 * adapter. It answers through that adapter, never through Express itself.
 *
 * @example
 * // Global, through the module (also sees the handlers of a hybrid app's microservices,
 * // where it leaves the answer to Nest):
 * providers: [{ provide: APP_FILTER, useClass: PicomExceptionFilter }]
 * // or global, on the HTTP app:
 * const { httpAdapter } = app.get(HttpAdapterHost);
 * app.useGlobalFilters(new PicomExceptionFilter(httpAdapter));
 *
 * // One more rule, the rest as is:
 * @Catch(PicomError)
 * class AppExceptionFilter extends PicomExceptionFilter {
 *   protected override toHttpResponse(error: PicomError): PicomHttpErrorResponse {
 *     return error instanceof PicomRemoteError && error.fields['code'] === 'NOT_FOUND'
 *       ? this.httpResponse(404, error.message, 'NOT_FOUND')
 *       : super.toHttpResponse(error);
 *   }
 * }
 *
 * @publicApi
 */
@Catch(PicomError)
export class PicomExceptionFilter extends BaseExceptionFilter {
  protected readonly logger = new Logger(PicomExceptionFilter.name);
  private readonly rpcFilter = new BaseRpcExceptionFilter();

  override catch(exception: unknown, host: ArgumentsHost): unknown {
    if (host.getType() !== 'http') {
      // A global filter also sees a hybrid app's message handlers: there
      // Nest's own answer stands, as without this filter.
      return host.getType() === 'rpc' ? this.rpcFilter.catch(exception, host) : undefined;
    }
    if (!(exception instanceof PicomError)) {
      // Only reached when a subclass widens `@Catch()`.
      return super.catch(exception, host);
    }
    const adapter = this.applicationRef ?? this.httpAdapterHost?.httpAdapter;
    if (adapter === undefined) {
      throw new Error(NEST_MESSAGES.filterWithoutAdapter);
    }
    const { status, body } = this.toHttpResponse(exception);
    if (status === HttpStatus.INTERNAL_SERVER_ERROR && !(exception instanceof PicomRemoteError)) {
      // A bug on this side (a bad subject, an unencodable message): the answer
      // hides it, so the log must show it, as Nest does for unknown errors.
      this.logger.error(exception);
    }
    const response: unknown = host.getArgByIndex(1);
    if (adapter.isHeadersSent(response)) {
      adapter.end(response);
    } else {
      adapter.reply(response, body, status);
    }
    return undefined;
  }

  /** The status and body that answer `error`; override to map errors differently. */
  protected toHttpResponse(error: PicomError): PicomHttpErrorResponse {
    if (error instanceof PicomRemoteError) {
      const fields = error.fields;
      const status = STATUS_FIELDS.map((field) => fields[field]).find(isErrorStatus) ?? HttpStatus.BAD_GATEWAY;
      const code = fields['code'];
      return this.httpResponse(status, error.message, typeof code === 'string' || typeof code === 'number' ? code : undefined);
    }
    if (error instanceof PicomTimeoutError) {
      return this.httpResponse(HttpStatus.GATEWAY_TIMEOUT, NEST_MESSAGES.httpTimedOut(error.subject, error.timeout));
    }
    if (error instanceof PicomNoRespondersError) {
      return this.httpResponse(HttpStatus.SERVICE_UNAVAILABLE, NEST_MESSAGES.httpNoResponders(error.subject));
    }
    if (error instanceof PicomConnectionError) {
      // Its text may name servers, users or a refused subject.
      return this.httpResponse(HttpStatus.SERVICE_UNAVAILABLE, NEST_MESSAGES.httpUnavailable);
    }
    if (error instanceof PicomPayloadTooLargeError) {
      return this.httpResponse(HttpStatus.PAYLOAD_TOO_LARGE, NEST_MESSAGES.httpPayloadTooLarge(error.subject));
    }
    if (error instanceof PicomBadResponseError) {
      return this.httpResponse(HttpStatus.BAD_GATEWAY, NEST_MESSAGES.httpBadResponse(error.subject));
    }
    return this.httpResponse(HttpStatus.INTERNAL_SERVER_ERROR, NEST_MESSAGES.httpInternalError);
  }

  /** An answer with `status`, its reason phrase, `message` and, when given, `code`. */
  protected httpResponse(status: number, message: string, code?: string | number): PicomHttpErrorResponse {
    const body: PicomHttpErrorBody = {
      statusCode: status,
      error: STATUS_CODES[status] ?? NEST_MESSAGES.httpReason(status),
      message,
    };
    if (code !== undefined) {
      body.code = code;
    }
    return { status, body };
  }
}

function isErrorStatus(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 400 && (value as number) <= 599;
}
