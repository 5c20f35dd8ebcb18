import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppException, type ProblemItem } from '#src/platform/errors/app.exception.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: string;
  errors?: ProblemItem[];
  requestId?: string;
  /** Firehose requests only (see withFirehoseFields). */
  timestamp?: number;
  errorMessage?: string;
}

const FASTIFY_CODES: Record<string, { code: string; title: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', title: 'Payload too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', title: 'Unsupported media type' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'BAD_REQUEST', title: 'Empty body' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'BAD_REQUEST', title: 'Bad content length' },
};

const HTTP_CODES: Record<number, { code: string; title: string }> = {
  400: { code: 'BAD_REQUEST', title: 'Bad request' },
  404: { code: 'NOT_FOUND', title: 'Not found' },
  405: { code: 'METHOD_NOT_ALLOWED', title: 'Method not allowed' },
  413: { code: 'PAYLOAD_TOO_LARGE', title: 'Payload too large' },
  415: { code: 'UNSUPPORTED_MEDIA_TYPE', title: 'Unsupported media type' },
};

/** Turns any error into RFC 9457 problem+json. 5xx details stay in the log, never in the reply. */
export function toProblem(error: unknown, url?: string, requestId?: string): Problem {
  // The path only: a query string may carry a key (push channels send `?key=`).
  const base = { instance: url?.split('?')[0], requestId };
  if (error instanceof AppException) {
    return {
      type: `urn:minewatch:problem:${error.code.toLowerCase()}`,
      title: error.title,
      status: error.status,
      detail: error.detail,
      code: error.code,
      ...(error.errors ? { errors: error.errors } : {}),
      ...base,
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const message =
      typeof response === 'object' && response && 'message' in response
        ? ([] as unknown[]).concat((response as { message: unknown }).message).join('; ')
        : error.message;
    const known = HTTP_CODES[status];
    const code = known?.code ?? (status >= 500 ? 'INTERNAL' : 'CLIENT_ERROR');
    return {
      type: `urn:minewatch:problem:${code.toLowerCase()}`,
      title: known?.title ?? (status >= 500 ? 'Internal error' : 'Client error'),
      status,
      detail: status >= 500 ? 'An internal error occurred.' : message,
      code,
      ...base,
    };
  }
  const e = error as { statusCode?: number; code?: string; message?: string };
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const known = e.code ? FASTIFY_CODES[e.code] : undefined;
    const code = known?.code ?? (e.statusCode === 400 ? 'BAD_REQUEST' : 'CLIENT_ERROR');
    return {
      type: `urn:minewatch:problem:${code.toLowerCase()}`,
      title: known?.title ?? 'Bad request',
      status: e.statusCode,
      detail: e.message ?? 'The request could not be processed.',
      code,
      ...base,
    };
  }
  return {
    type: 'urn:minewatch:problem:internal',
    title: 'Internal error',
    status: 500,
    detail: 'An internal error occurred. The request id identifies it in the service log.',
    code: 'INTERNAL',
    ...base,
  };
}

/**
 * Amazon Data Firehose reads a failed delivery's reason from `errorMessage` beside `requestId` and
 * `timestamp` (its HTTP endpoint specification); a problem answered to a Firehose request carries
 * them too, so the stream's error log says what was wrong.
 */
export function withFirehoseFields(problem: Problem, request: Pick<FastifyRequest, 'headers'>): Problem {
  if (typeof request.headers['x-amz-firehose-request-id'] !== 'string') return problem;
  return { ...problem, timestamp: Date.now(), errorMessage: problem.detail };
}

export function sendProblem(reply: FastifyReply, problem: Problem, headers?: Record<string, string>): void {
  void reply
    .status(problem.status)
    .headers(headers ?? {})
    .header('content-type', 'application/problem+json; charset=utf-8')
    .send(JSON.stringify(problem));
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemFilter.name);

  catch(error: unknown, host: ArgumentsHost): void {
    // GraphQL errors are formatted by the GraphQL layer (graphql-errors.ts).
    if (host.getType<string>() === 'graphql') throw error;
    const ctx = host.switchToHttp();
    const request = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    const problem = withFirehoseFields(toProblem(error, request.url, String(request.id)), request);
    if (problem.status >= 500) this.logger.error({ err: error, requestId: request.id }, 'request failed');
    sendProblem(reply, problem, error instanceof AppException ? error.headers : undefined);
  }
}
