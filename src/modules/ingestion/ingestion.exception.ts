import { AppException, type ProblemItem } from '#src/platform/errors/app.exception.js';

export enum IngestionErrorCode {
  UnknownSource = 'UNKNOWN_SOURCE',
  InvalidPayload = 'INVALID_PAYLOAD',
  MalformedBody = 'MALFORMED_BODY',
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',
  UnverifiedPush = 'UNVERIFIED_PUSH',
}

const META: Record<IngestionErrorCode, { status: number; title: string }> = {
  [IngestionErrorCode.UnknownSource]: { status: 400, title: 'Unknown ingest source' },
  [IngestionErrorCode.InvalidPayload]: { status: 400, title: 'Invalid payload' },
  [IngestionErrorCode.MalformedBody]: { status: 400, title: 'Malformed body' },
  [IngestionErrorCode.UnsupportedMediaType]: { status: 415, title: 'Unsupported media type' },
  [IngestionErrorCode.UnverifiedPush]: { status: 403, title: 'Push message not verified' },
};

export class IngestionException extends AppException {
  readonly status: number;
  readonly title: string;
  constructor(
    readonly code: IngestionErrorCode,
    detail: string,
    errors?: ProblemItem[],
  ) {
    super(detail, errors);
    this.status = META[code].status;
    this.title = META[code].title;
  }
}
