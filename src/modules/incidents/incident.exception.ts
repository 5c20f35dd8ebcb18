import { AppException } from '#src/platform/errors/app.exception.js';

export enum IncidentErrorCode {
  NotFound = 'NOT_FOUND',
  InvalidTransition = 'INVALID_TRANSITION',
  InvalidQuery = 'INVALID_QUERY',
}

export class IncidentException extends AppException {
  readonly status: number;
  readonly title: string;
  constructor(
    readonly code: IncidentErrorCode,
    detail: string,
    errors?: Array<{ field: string; message: string }>,
  ) {
    super(detail, errors);
    switch (code) {
      case IncidentErrorCode.NotFound:
        this.status = 404;
        this.title = 'Incident not found';
        break;
      case IncidentErrorCode.InvalidTransition:
        this.status = 409;
        this.title = 'Invalid status transition';
        break;
      case IncidentErrorCode.InvalidQuery:
        this.status = 400;
        this.title = 'Invalid query';
        break;
    }
  }
}
