import { AppException, type ProblemItem } from '#src/platform/errors/app.exception.js';

export enum ConnectorErrorCode {
  NotFound = 'CONNECTOR_NOT_FOUND',
  InvalidConnector = 'INVALID_CONNECTOR',
  InvalidQuery = 'INVALID_QUERY',
  Paused = 'CONNECTOR_PAUSED',
  Unconfigured = 'CONNECTOR_SECRETS_UNCONFIGURED',
}

export class ConnectorException extends AppException {
  readonly status: number;
  readonly title: string;
  constructor(
    readonly code: ConnectorErrorCode,
    detail: string,
    errors?: ProblemItem[],
  ) {
    super(detail, errors);
    switch (code) {
      case ConnectorErrorCode.NotFound:
        this.status = 404;
        this.title = 'Connector not found';
        break;
      case ConnectorErrorCode.InvalidConnector:
        this.status = 400;
        this.title = 'Invalid connector';
        break;
      case ConnectorErrorCode.InvalidQuery:
        this.status = 400;
        this.title = 'Invalid request';
        break;
      case ConnectorErrorCode.Paused:
        this.status = 409;
        this.title = 'Connector paused';
        break;
      case ConnectorErrorCode.Unconfigured:
        this.status = 503;
        this.title = 'Connector secrets cannot be stored';
        break;
    }
  }
}
