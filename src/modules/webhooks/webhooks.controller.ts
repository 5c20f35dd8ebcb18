import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { RequireScope } from '#src/platform/auth/auth.decorators.js';
import {
  CreateWebhookDto,
  CreatedWebhookModel,
  DeliveryPageDto,
  QueuedModel,
  ReplayDto,
  RotatedSecretModel,
  TestDeliveryModel,
  WebhookListDto,
  WebhookModel,
} from '#src/modules/webhooks/webhook.model.js';
import { WebhooksService } from '#src/modules/webhooks/webhooks.service.js';

@ApiTags('webhooks')
@ApiBearerAuth()
@RequireScope('admin')
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiOperation({ summary: 'Subscribe a receiver; the reply carries its signing secret, shown this once' })
  @ApiBody({ type: CreateWebhookDto })
  @ApiCreatedResponse({ type: CreatedWebhookModel })
  create(@Body() body: unknown): Promise<CreatedWebhookModel> {
    return this.webhooks.create(body);
  }

  @Get()
  @ApiOperation({ summary: 'Every subscription' })
  @ApiOkResponse({ type: WebhookListDto })
  async list(): Promise<WebhookListDto> {
    return { items: await this.webhooks.list() };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One subscription, with what happened to it (disabled and why, secret rotations)' })
  @ApiOkResponse({ type: WebhookModel })
  get(@Param('id') id: string): Promise<WebhookModel> {
    return this.webhooks.get(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Unsubscribe; its pending deliveries are dropped' })
  @ApiNoContentResponse()
  remove(@Param('id') id: string): Promise<void> {
    return this.webhooks.remove(id);
  }

  @Post(':id/test')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send a signed webhook.test event now; answers with the status and latency, never the response body' })
  @ApiOkResponse({ type: TestDeliveryModel })
  test(@Param('id') id: string): Promise<TestDeliveryModel> {
    return this.webhooks.test(id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'The delivery log, newest first: each delivery with its attempts (outcome, status, latency, error)' })
  @ApiQuery({ name: 'status', required: false, enum: ['pending', 'succeeded', 'failed'] })
  @ApiQuery({ name: 'limit', required: false, description: '1–100, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiOkResponse({ type: DeliveryPageDto })
  deliveries(@Param('id') id: string, @Query() query: unknown): Promise<DeliveryPageDto> {
    return this.webhooks.deliveries(id, query);
  }

  @Post(':id/deliveries/:deliveryId/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send one delivery again now (same webhook-id)' })
  @ApiAcceptedResponse({ type: QueuedModel })
  retry(@Param('id') id: string, @Param('deliveryId') deliveryId: string): Promise<QueuedModel> {
    return this.webhooks.retry(id, deliveryId);
  }

  @Post(':id/replay')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send every matching incident event since a time again (at most 10,000 per call)' })
  @ApiBody({ type: ReplayDto })
  @ApiAcceptedResponse({ type: QueuedModel })
  replay(@Param('id') id: string, @Body() body: unknown): Promise<QueuedModel> {
    return this.webhooks.replay(id, body);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'A new signing secret; for 24 h the old one signs beside it' })
  @ApiOkResponse({ type: RotatedSecretModel })
  rotateSecret(@Param('id') id: string): Promise<RotatedSecretModel> {
    return this.webhooks.rotateSecret(id);
  }

  @Post(':id/enable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Re-enable a disabled subscription; replay what it missed with /replay' })
  @ApiOkResponse({ type: WebhookModel })
  enable(@Param('id') id: string): Promise<WebhookModel> {
    return this.webhooks.enable(id);
  }
}
