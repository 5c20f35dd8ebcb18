import { Logger } from '@nestjs/common';
import type { ExecutionResult, GraphQLError } from 'graphql';
import { AppException } from '#src/platform/errors/app.exception.js';

const logger = new Logger('GraphQL');

interface FormattedError {
  message: string;
  locations?: GraphQLError['locations'];
  path?: GraphQLError['path'];
  extensions: Record<string, unknown>;
}

function format(error: GraphQLError): FormattedError {
  const base = { locations: error.locations, path: error.path };
  const original = error.originalError;
  if (original instanceof AppException) {
    return {
      message: original.detail,
      ...base,
      extensions: { code: original.code, status: original.status, ...(original.errors ? { errors: original.errors } : {}) },
    };
  }
  if (!original || (original as { name?: string }).name === 'GraphQLError') {
    // Parse and validation errors: the message is the useful part.
    return { message: error.message, ...base, extensions: { code: 'GRAPHQL_VALIDATION_FAILED', ...(error.extensions ?? {}) } };
  }
  const status = (original as { statusCode?: number }).statusCode;
  if (status && status < 500) return { message: original.message, ...base, extensions: { code: 'BAD_REQUEST' } };
  logger.error({ err: original, path: error.path }, 'resolver failed');
  return { message: 'An internal error occurred.', ...base, extensions: { code: 'INTERNAL' } };
}

/**
 * Mercurius error formatter: every error gets `extensions.code` from the one exception mapping.
 * When every error is an authentication or scope error the HTTP status says so too (401/403).
 */
export function graphqlErrorFormatter(execution: ExecutionResult & Required<Pick<ExecutionResult, 'errors'>>) {
  const errors = execution.errors.map(format);
  const codes = new Set(errors.map((e) => e.extensions['code']));
  let statusCode = 200;
  if (codes.size === 1 && codes.has('UNAUTHENTICATED')) statusCode = 401;
  else if (codes.size === 1 && codes.has('FORBIDDEN') && !execution.data) statusCode = 403;
  else if (!execution.data && codes.has('GRAPHQL_VALIDATION_FAILED')) statusCode = 400;
  return { statusCode, response: { data: execution.data ?? null, errors } };
}
