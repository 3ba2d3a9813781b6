import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import type { Tracer } from '@opentelemetry/api';
import type { Observable } from 'rxjs';
import type { TracingApi } from '../../tracing/register-tracing.js';

/** What Express adds to Node's request that the span uses. */
type HttpRequest = IncomingMessage & { path?: string; route?: { path?: unknown } };

/**
 * A SERVER span per HTTP request (`GET /sum`), with the handler running in
 * its context: the Picom calls the handler makes become its children, and the
 * trace continues in the services they reach. What
 * `@opentelemetry/instrumentation-http` would do, kept to a few lines so the
 * sample needs no more packages. Installed only when tracing is on
 * (`main.ts`); it gets the API from `register-tracing.ts`, so the gateway
 * loads no OpenTelemetry code otherwise.
 */
export class HttpSpanInterceptor implements NestInterceptor {
  private readonly tracer: Tracer;

  constructor(private readonly otel: TracingApi) {
    this.tracer = otel.trace.getTracer('picom-sample-gateway');
  }

  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (execution.getType() !== 'http') {
      return next.handle();
    }
    const { trace, context, propagation, SpanKind, SpanStatusCode } = this.otel;
    const http = execution.switchToHttp();
    const req = http.getRequest<HttpRequest>();
    const res = http.getResponse<ServerResponse>();
    const method = req.method ?? 'GET';
    const path = req.path ?? req.url ?? '/';
    // The route template, not the path: a bounded span name (`GET /users/:id`).
    const route = typeof req.route?.path === 'string' ? req.route.path : path;
    // An HTTP caller that sends `traceparent` gets the request into its own trace.
    const parent = propagation.extract(context.active(), req.headers);
    const span = this.tracer.startSpan(
      `${method} ${route}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'http.route': route, 'url.path': path } },
      parent,
    );
    const { traceId, spanId, traceFlags } = span.spanContext();
    // W3C Trace Context level 2: tells the caller (the demo) which trace its request made.
    res.setHeader('traceresponse', `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`);
    // Ends when the response is sent, after the exception filters chose the status.
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) {
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    });
    // Nest binds the handler to the async context current at `handle()`: the span's.
    return context.with(trace.setSpan(parent, span), () => next.handle());
  }
}
