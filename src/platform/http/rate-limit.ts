import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import type { DataSource } from 'typeorm';
import { CommonErrorCode, CommonException } from '#src/platform/errors/app.exception.js';

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/**
 * A @fastify/rate-limit store in PostgreSQL, so a key's budget holds across every replica:
 * one counter row per key and fixed window, incremented atomically.
 */
function postgresStore(ds: DataSource) {
  return class PostgresRateLimitStore {
    incr(key: string, callback: Callback, timeWindow: number): void {
      const now = Date.now();
      const windowStart = now - (now % timeWindow);
      ds.query(
        `INSERT INTO rate_limits (key, window_start, count) VALUES ($1, to_timestamp($2 / 1000.0), 1)
         ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limits.count + 1 RETURNING count`,
        [key, windowStart],
      )
        .then((rows: Array<{ count: number }>) => {
          // Old windows are swept now and then by whoever passes, not by a timer of its own.
          if (Math.random() < 0.01)
            void ds.query(`DELETE FROM rate_limits WHERE window_start < now() - interval '1 hour'`).catch(() => undefined);
          callback(null, { current: rows[0]!.count, ttl: windowStart + timeWindow - now });
        })
        .catch((error: Error) => callback(error));
    }

    child(): PostgresRateLimitStore {
      return this;
    }
  };
}

/** The budget belongs to the API key (hashed: the key itself never reaches the table), else the address. */
function keyOf(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const token = typeof header === 'string' ? /^Bearer\s+(\S+)/i.exec(header)?.[1] : undefined;
  return token ? `key:${createHash('sha256').update(token).digest('hex').slice(0, 32)}` : `ip:${request.ip}`;
}

const EXEMPT = new Set(['/healthz', '/readyz', '/metrics']);

export async function registerRateLimit(app: NestFastifyApplication, ds: DataSource, perMinute: number): Promise<void> {
  if (perMinute <= 0) return;
  await app.register(rateLimit, {
    global: true,
    max: perMinute,
    timeWindow: 60_000,
    store: postgresStore(ds) as never,
    keyGenerator: keyOf,
    // Probes and GraphiQL's static files are not API calls.
    allowList: (request) =>
      EXEMPT.has(request.url.split('?')[0]!) || request.url.startsWith('/graphiql') || request.url.startsWith('/docs'),
    // A database hiccup must not turn into refused requests.
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      new CommonException(
        CommonErrorCode.RateLimited,
        `Rate limit of ${context.max} requests per minute reached; retry after ${context.after}.`,
      ),
  });
}
