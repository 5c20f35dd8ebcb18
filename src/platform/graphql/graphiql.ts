import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { sendProblem } from '#src/platform/errors/problem.filter.js';

/** Where `npm run build` puts the offline GraphiQL bundle (scripts/build-graphiql.mjs). */
export const GRAPHIQL_DIR = join(process.cwd(), 'dist', 'graphiql');

// Everything from this origin; Monaco needs inline styles and data: fonts.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; " +
  "connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/**
 * Serves the GraphiQL page and every asset it needs from this service: analysts may be offline,
 * and the drivers' built-in GraphiQL loads React and GraphiQL from a CDN. The page refers to its
 * assets as /graphiql/assets/<name>.<hash>.js, so both /graphiql and /graphiql/ work.
 */
export async function registerGraphiql(app: NestFastifyApplication): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  const index = join(GRAPHIQL_DIR, 'index.html');
  await app.register(fastifyStatic, {
    root: join(GRAPHIQL_DIR, 'assets'),
    prefix: '/graphiql/assets/',
    // Asset names carry a content hash.
    immutable: true,
    maxAge: '1y',
    index: false,
    decorateReply: false,
  });
  let html: Buffer | null = null;
  const page = async (_request: unknown, reply: FastifyReply) => {
    if (!html && existsSync(index)) html = await readFile(index);
    if (!html) {
      sendProblem(reply, {
        type: 'urn:minewatch:problem:unavailable',
        title: 'GraphiQL is not built',
        status: 503,
        code: 'UNAVAILABLE',
        detail: 'Run `npm run build` to bundle GraphiQL; the GraphQL endpoint at /graphql works without it.',
      });
      return;
    }
    void reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CSP)
      .send(html);
  };
  fastify.get('/graphiql', page);
  fastify.get('/graphiql/', page);
}
