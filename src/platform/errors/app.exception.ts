/**
 * The one error type the product throws on purpose. Each module has its own subclass with a code
 * enum; `problem.filter.ts` turns it into application/problem+json for REST and
 * `graphql-errors.ts` into a GraphQL error with `extensions.code`.
 */
export interface ProblemItem {
  index?: number | null;
  field: string;
  message: string;
}

export abstract class AppException extends Error {
  abstract readonly status: number;
  /** Stable, machine-readable: becomes the problem `type` suffix and GraphQL `extensions.code`. */
  abstract readonly code: string;
  abstract readonly title: string;

  constructor(
    readonly detail: string,
    readonly errors?: ProblemItem[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
    this.name = new.target.name;
  }
}

export enum CommonErrorCode {
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  NotFound = 'NOT_FOUND',
  BadRequest = 'BAD_REQUEST',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',
  Unavailable = 'UNAVAILABLE',
  RateLimited = 'RATE_LIMITED',
}

const COMMON: Record<CommonErrorCode, { status: number; title: string }> = {
  [CommonErrorCode.Unauthenticated]: { status: 401, title: 'Authentication required' },
  [CommonErrorCode.Forbidden]: { status: 403, title: 'Missing scope' },
  [CommonErrorCode.NotFound]: { status: 404, title: 'Not found' },
  [CommonErrorCode.BadRequest]: { status: 400, title: 'Bad request' },
  [CommonErrorCode.PayloadTooLarge]: { status: 413, title: 'Payload too large' },
  [CommonErrorCode.UnsupportedMediaType]: { status: 415, title: 'Unsupported media type' },
  [CommonErrorCode.Unavailable]: { status: 503, title: 'Service unavailable' },
  [CommonErrorCode.RateLimited]: { status: 429, title: 'Too many requests' },
};

export class CommonException extends AppException {
  readonly status: number;
  readonly title: string;
  constructor(
    readonly code: CommonErrorCode,
    detail: string,
    errors?: ProblemItem[],
    headers?: Record<string, string>,
  ) {
    super(detail, errors, headers);
    this.status = COMMON[code].status;
    this.title = COMMON[code].title;
  }
}
