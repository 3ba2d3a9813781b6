import { Catch, HttpStatus } from '@nestjs/common';
import { PicomError, PicomRemoteError } from 'picom';
import { PicomExceptionFilter, type PicomHttpErrorResponse } from 'picom/nest';

/**
 * The library's filter (504 for a timeout, 503 when nobody serves, 502 for a
 * crashed service...) plus one rule of this gateway: the `math` and `legacy`
 * services refuse bad input with an error `code` but no HTTP `status` of their
 * own, so their refusals are the caller's fault, not a bad gateway:
 * `INVALID_ARGUMENT` becomes 400, any other code 422.
 */
@Catch(PicomError)
export class CalcExceptionFilter extends PicomExceptionFilter {
  protected override toHttpResponse(error: PicomError): PicomHttpErrorResponse {
    const response = super.toHttpResponse(error);
    const { code, message } = response.body;
    // 502 is what the library answers a remote error carrying no status with.
    if (error instanceof PicomRemoteError && response.status === HttpStatus.BAD_GATEWAY && typeof code === 'string') {
      const status = code === 'INVALID_ARGUMENT' ? HttpStatus.BAD_REQUEST : HttpStatus.UNPROCESSABLE_ENTITY;
      return this.httpResponse(status, message, code);
    }
    return response;
  }
}
