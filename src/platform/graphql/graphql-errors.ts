import { Logger } from '@nestjs/common';
import { type ExecutionResult, GraphQLError } from 'graphql';
import { AppException } from '#src/platform/errors/app.exception.js';

const logger = new Logger('GraphQL');

interface FormattedError {
  message: string;
  locations?: GraphQLError['locations'];
  path?: GraphQLError['path'];
  extensions: Record<string, unknown>;
}

type MercuriusError = Error & { code?: string; statusCode?: number; errors?: GraphQLError[] };

function format(error: GraphQLError): FormattedError {
  const base = { locations: error.locations, path: error.path };
  const original = error.originalError as MercuriusError | undefined;
  if (original instanceof AppException) {
    return {
      message: original.detail,
      ...base,
      extensions: { code: original.code, status: original.status, ...(original.errors ? { errors: original.errors } : {}) },
    };
  }
  if (original?.code === 'MER_ERR_GQL_QUERY_DEPTH') {
    return { message: original.message.replace(/`/g, ''), extensions: { code: 'QUERY_TOO_COMPLEX' } };
  }
  if (!original || original.name === 'GraphQLError') {
    // Parse and validation errors: the message is the useful part.
    return { message: error.message, ...base, extensions: { code: 'GRAPHQL_VALIDATION_FAILED', ...(error.extensions ?? {}) } };
  }
  if (original.statusCode && original.statusCode < 500) return { message: original.message, ...base, extensions: { code: 'BAD_REQUEST' } };
  logger.error({ err: original, path: error.path }, 'resolver failed');
  return { message: 'An internal error occurred.', ...base, extensions: { code: 'INTERNAL' } };
}

/**
 * Mercurius error formatter: every error gets `extensions.code` from the one exception mapping.
 * When every error is an authentication or scope error the HTTP status says so too (401/403);
 * a query refused before execution is a 400.
 */
export function graphqlErrorFormatter(execution: ExecutionResult & Required<Pick<ExecutionResult, 'errors'>>) {
  // Mercurius wraps validation failures in one error that holds them all.
  const flat = execution.errors.flatMap((e) => {
    // (An AppException's `errors` are problem items, not Errors, and stay where they are.)
    const inner = (e.originalError as MercuriusError | undefined)?.errors as unknown[] | undefined;
    if (!Array.isArray(inner) || inner.length === 0 || !inner.every((i) => i instanceof Error)) return [e];
    return inner.map((i) => (i instanceof GraphQLError ? i : new GraphQLError((i as Error).message, { originalError: i as Error })));
  });
  const errors = flat.map(format);
  const codes = new Set(errors.map((e) => e.extensions['code']));
  let statusCode = 200;
  if (codes.size === 1 && codes.has('UNAUTHENTICATED')) statusCode = 401;
  else if (codes.size === 1 && codes.has('FORBIDDEN') && !execution.data) statusCode = 403;
  else if (!execution.data && (codes.has('GRAPHQL_VALIDATION_FAILED') || codes.has('QUERY_TOO_COMPLEX'))) statusCode = 400;
  return { statusCode, response: { data: execution.data ?? null, errors } };
}
