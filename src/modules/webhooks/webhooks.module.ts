import { type DynamicModule, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type Role } from '#src/config/config.js';
import { IncidentsModule } from '#src/modules/incidents/incidents.module.js';
import { AddressPolicy } from '#src/modules/webhooks/address-policy.js';
import { WebhookDeliveryWorker } from '#src/modules/webhooks/webhook-delivery.worker.js';
import { WebhookDispatcher } from '#src/modules/webhooks/webhook-dispatcher.service.js';
import { WebhookJobs } from '#src/modules/webhooks/webhook-jobs.js';
import { WebhookMessages } from '#src/modules/webhooks/webhook-messages.js';
import { WebhookSecrets } from '#src/modules/webhooks/webhook-secrets.js';
import { WebhookSender } from '#src/modules/webhooks/webhook-sender.js';
import { WebhooksController } from '#src/modules/webhooks/webhooks.controller.js';
import { WebhooksRepository } from '#src/modules/webhooks/webhooks.repository.js';
import { WebhooksResolver } from '#src/modules/webhooks/webhooks.resolver.js';
import { WebhooksService } from '#src/modules/webhooks/webhooks.service.js';

/**
 * Webhooks: subscriptions (REST, api roles), the outbox dispatcher and the delivery worker (both
 * start only where workers run: roles worker and all).
 */
@Module({})
export class WebhooksModule {
  static forRole(role: Role): DynamicModule {
    return {
      module: WebhooksModule,
      imports: [IncidentsModule],
      controllers: role === 'worker' ? [] : [WebhooksController],
      providers: [
        // The resolver only where GraphQL is served.
        ...(role === 'worker' ? [] : [WebhooksResolver]),
        WebhooksRepository,
        WebhooksService,
        WebhookSecrets,
        WebhookJobs,
        WebhookMessages,
        WebhookDispatcher,
        WebhookDeliveryWorker,
        {
          provide: WebhookSender,
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => new WebhookSender(new AddressPolicy(config.webhookAllowedCidrs), config.webhooks.timeoutMs),
        },
      ],
      exports: [WebhookDispatcher, WebhookDeliveryWorker],
    };
  }
}
