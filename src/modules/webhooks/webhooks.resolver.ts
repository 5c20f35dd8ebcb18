import { Query, Resolver } from '@nestjs/graphql';
import { RequireScope } from '#src/platform/auth/auth.decorators.js';
import { WebhookModel } from '#src/modules/webhooks/webhook.model.js';
import { WebhooksService } from '#src/modules/webhooks/webhooks.service.js';

@Resolver(() => WebhookModel)
export class WebhooksResolver {
  constructor(private readonly service: WebhooksService) {}

  @Query(() => [WebhookModel], { description: 'Webhook subscriptions (never their secrets).' })
  @RequireScope('admin')
  webhooks(): Promise<WebhookModel[]> {
    return this.service.list();
  }
}
