import { AppException, type ProblemItem } from '#src/platform/errors/app.exception.js';

export enum WebhookErrorCode {
  NotFound = 'WEBHOOK_NOT_FOUND',
  DeliveryNotFound = 'DELIVERY_NOT_FOUND',
  InvalidSubscription = 'INVALID_SUBSCRIPTION',
  InvalidQuery = 'INVALID_QUERY',
  Disabled = 'WEBHOOK_DISABLED',
  Busy = 'DELIVERY_IN_PROGRESS',
  Unconfigured = 'WEBHOOKS_UNCONFIGURED',
}

export class WebhookException extends AppException {
  readonly status: number;
  readonly title: string;
  constructor(
    readonly code: WebhookErrorCode,
    detail: string,
    errors?: ProblemItem[],
  ) {
    super(detail, errors);
    switch (code) {
      case WebhookErrorCode.NotFound:
        this.status = 404;
        this.title = 'Webhook not found';
        break;
      case WebhookErrorCode.DeliveryNotFound:
        this.status = 404;
        this.title = 'Delivery not found';
        break;
      case WebhookErrorCode.InvalidSubscription:
        this.status = 400;
        this.title = 'Invalid webhook subscription';
        break;
      case WebhookErrorCode.InvalidQuery:
        this.status = 400;
        this.title = 'Invalid request';
        break;
      case WebhookErrorCode.Disabled:
        this.status = 409;
        this.title = 'Webhook disabled';
        break;
      case WebhookErrorCode.Busy:
        this.status = 409;
        this.title = 'Delivery in progress';
        break;
      case WebhookErrorCode.Unconfigured:
        this.status = 503;
        this.title = 'Webhooks not configured';
        break;
    }
  }
}
