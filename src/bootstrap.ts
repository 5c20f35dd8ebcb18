import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import type { AppConfig } from '#src/config/config.js';
import { AppModule } from '#src/app.module.js';
import { ApiKeysService } from '#src/platform/auth/api-keys.service.js';
import { registerGraphiql } from '#src/platform/graphql/graphiql.js';
import { ProblemFilter, sendProblem, toProblem, withFirehoseFields } from '#src/platform/errors/problem.filter.js';
import { MetricsService } from '#src/platform/metrics/metrics.service.js';
import { registerRateLimit } from '#src/platform/http/rate-limit.js';
import { STREAMED_TYPES } from '#src/modules/ingestion/streaming/stream-plan.js';
import { DataSource } from 'typeorm';
import { PRODUCT_VERSION } from '#src/platform/version.js';

/** Builds the Nest application on Fastify; main.ts and the e2e tests both start it this way. */
export async function createApp(config: AppConfig, databaseUrl: string): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.maxBodyBytes,
    // Redirects are never followed by our clients; keep request ids from a proxy when present.
    requestIdHeader: 'x-request-id',
    // Bounded, but long enough for a large cost export to stream in (1 GB at 10 MB/s is 100 s).
    requestTimeout: 300_000,
    // Firehose's request id (kept across its retries) names the request in logs and replies, as
    // its HTTP endpoint specification asks.
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const firehose = req.headers['x-amz-firehose-request-id'];
      return typeof firehose === 'string' && /^[\w-]{1,128}$/.test(firehose) ? firehose : randomUUID();
    },
    trustProxy: false,
  });
  const fastify = adapter.getInstance();
  // Text bodies: flow log lines and SNS (which posts JSON as text/plain), within bodyLimit.
  fastify.addContentTypeParser(['text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
  // CSV exports and NDJSON can be gigabytes: their bodies reach the ingest handler unread, as the
  // request stream, which it reads batch by batch within MINEWATCH_MAX_STREAM_BYTES (bodyLimit does
  // not apply to a parser that does not read the body).
  fastify.addContentTypeParser([...STREAMED_TYPES], (_req, payload, done) => done(null, payload));
  // Errors Fastify raises before Nest sees the request (body too large, malformed JSON, unsupported
  // media type) become problem+json here. Nest would install its own handler on the same scope later,
  // which answers those in Fastify's plain format and makes Fastify warn about the override; Nest's
  // own routes handle their errors through ProblemFilter either way, so its call is declined.
  // Every route as registered, for the tests that prove each one is documented and guarded.
  const routes: Array<{ method: string; url: string }> = [];
  fastify.decorate('minewatchRoutes', routes);
  fastify.addHook('onRoute', (route) => {
    for (const method of ([] as string[]).concat(route.method)) routes.push({ method, url: route.url });
  });
  // A worker answers only the operations endpoints its orchestrator probes; the API is the api role's.
  if (config.role === 'worker') {
    const operations = new Set(['/healthz', '/readyz', '/metrics']);
    fastify.addHook('onRequest', async (request, reply) => {
      if (operations.has(request.url.split('?')[0]!)) return;
      sendProblem(reply, {
        type: 'urn:minewatch:problem:not_found',
        title: 'Not found',
        status: 404,
        code: 'NOT_FOUND',
        detail: 'This process runs MINEWATCH_ROLE=worker: it serves only /healthz, /readyz and /metrics.',
        instance: request.url,
        requestId: String(request.id),
      });
      return reply;
    });
  }
  // The request id is in every log line of the request; echoing it lets a caller quote it.
  fastify.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  fastify.setErrorHandler((error, request, reply) => {
    sendProblem(reply, withFirehoseFields(toProblem(error, request.url, String(request.id)), request));
  });
  adapter.setErrorHandler = () => fastify;

  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, databaseUrl), adapter, { bufferLogs: true });
  app.useLogger(app.get(Logger));
  // Registered here rather than as APP_FILTER: only global filters set on the app also handle the
  // errors Fastify raises before routing (body too large, bad JSON, unsupported media type).
  app.useGlobalFilters(new ProblemFilter());

  if (config.role !== 'worker') {
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('MineWatch')
        .setDescription(
          'Cross-cloud cryptomining incidents. Every /v1 route takes `Authorization: Bearer <key>`; errors are application/problem+json (RFC 9457).',
        )
        .setVersion(PRODUCT_VERSION)
        .setOpenAPIVersion('3.1.0')
        .addBearerAuth()
        .build(),
    );
    await registerRateLimit(app, app.get(DataSource), config.rateLimitPerMinute);
    SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
    await registerGraphiql(app);
  }
  const metrics = app.get(MetricsService);
  fastify.addHook('onResponse', async (request, reply) => {
    // The route pattern, not the URL: ids must not explode the label set.
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  await app.init();
  await app.get(ApiKeysService).bootstrap();
  return app;
}
