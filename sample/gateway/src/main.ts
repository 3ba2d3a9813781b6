// First: with PICOM_DEMO_TRACE=1, an OpenTelemetry SDK is registered before any Picom endpoint exists.
import { tracing } from '../../tracing/register-tracing.js';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { HttpSpanInterceptor } from './http-span.interceptor.js';

/**
 * The `gateway` sample: a Nest HTTP app calling Picom services.
 *
 *   PICOM_SERVERS  NATS servers, comma-separated (default 127.0.0.1:4222)
 *   PORT           HTTP port (default 3000)
 *   HOST           HTTP address (default 127.0.0.1)
 *   PICOM_DEMO_TRACE=1  trace: a span per HTTP request, spans printed as `otel-span` lines
 */
const port = Number(process.env['PORT'] ?? 3000);
const host = process.env['HOST'] ?? '127.0.0.1';

const app = await NestFactory.create(AppModule);
if (tracing) {
  app.useGlobalInterceptors(new HttpSpanInterceptor(tracing));
}
// SIGTERM / SIGINT: close the HTTP server and the Picom client.
app.enableShutdownHooks();
await app.listen(port, host);
new Logger('Main').log(`gateway ready on http://${host}:${port}, pid ${process.pid}`);
