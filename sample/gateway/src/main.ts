import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

/**
 * The `gateway` sample: a Nest HTTP app calling Picom services.
 *
 *   PICOM_SERVERS  NATS servers, comma-separated (default 127.0.0.1:4222)
 *   PORT           HTTP port (default 3000)
 *   HOST           HTTP address (default 127.0.0.1)
 */
const port = Number(process.env['PORT'] ?? 3000);
const host = process.env['HOST'] ?? '127.0.0.1';

const app = await NestFactory.create(AppModule);
// SIGTERM / SIGINT: close the HTTP server and the Picom client.
app.enableShutdownHooks();
await app.listen(port, host);
new Logger('Main').log(`gateway ready on http://${host}:${port}, pid ${process.pid}`);
