import { Field, ID, ObjectType } from '@nestjs/graphql';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PROVIDERS } from '#src/connectors/signal.js';
import { INCIDENT_SEVERITIES } from '#src/modules/incidents/incident.entity.js';
import { WEBHOOK_EVENT_TYPES } from '#src/modules/webhooks/event-types.js';
import { DELIVERY_OUTCOMES } from '#src/modules/webhooks/webhook-sender.js';

/* The REST shapes of webhooks, documented for OpenAPI. Secrets appear only in the two replies that
   create one (POST /v1/webhooks and rotate-secret). */

export class CreateWebhookDto {
  @ApiProperty({
    example: 'https://siem.example.com/hooks/minewatch',
    description: 'http:// or https://; private addresses only inside MINEWATCH_WEBHOOK_ALLOWED_CIDRS',
  })
  url!: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true }) eventTypes!: string[];
  @ApiPropertyOptional({ enum: INCIDENT_SEVERITIES, description: 'Only incidents at least this severe' }) minSeverity?: string;
  @ApiPropertyOptional({ enum: PROVIDERS, isArray: true, description: 'Only incidents touching one of these clouds (default: all)' })
  providers?: string[];
}

export class ReplayDto {
  @ApiProperty({ type: String, format: 'date-time', description: 'Resend every matching incident event since this time' }) since!: string;
}

@ObjectType('WebhookEndpointEvent')
export class WebhookEndpointEventModel {
  @Field()
  @ApiProperty({ example: 'webhook.disabled', description: 'webhook.created, webhook.secret_rotated, webhook.disabled, webhook.enabled' })
  type!: string;
  @Field(() => Date) @ApiProperty({ type: String, format: 'date-time' }) at!: Date;
  @Field(() => String, { nullable: true }) @ApiProperty({ type: String, nullable: true }) detail!: string | null;
}

/** One class for GraphQL and OpenAPI, as incident.model.ts does; secrets are never fields. */
@ObjectType('Webhook')
export class WebhookModel {
  @Field(() => ID) @ApiProperty() id!: string;
  @Field() @ApiProperty() url!: string;
  @Field(() => [String]) @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true }) eventTypes!: string[];
  @Field(() => String, { nullable: true }) @ApiProperty({ enum: INCIDENT_SEVERITIES, nullable: true }) minSeverity!: string | null;
  @Field(() => [String]) @ApiProperty({ enum: PROVIDERS, isArray: true, description: 'Empty: every provider' }) providers!: string[];
  @Field() @ApiProperty({ enum: ['active', 'disabled'] }) status!: string;
  @Field(() => Date, { nullable: true }) @ApiProperty({ type: String, format: 'date-time', nullable: true }) disabledAt!: Date | null;
  @Field(() => String, { nullable: true })
  @ApiProperty({ type: String, nullable: true, example: 'the receiver answered 410 Gone' })
  disabledReason!: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Failing without a success since; five days of it disables the endpoint',
  })
  @Field(() => Date, { nullable: true })
  failingSince!: Date | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Until then the previous secret signs beside the current one',
  })
  @Field(() => Date, { nullable: true })
  previousSecretExpiresAt!: Date | null;
  @Field(() => Date) @ApiProperty({ type: String, format: 'date-time' }) createdAt!: Date;
  @Field(() => Date) @ApiProperty({ type: String, format: 'date-time' }) updatedAt!: Date;
  @ApiPropertyOptional({ type: [WebhookEndpointEventModel], description: 'Newest first; on the single-webhook endpoint' })
  events?: WebhookEndpointEventModel[];
}

export class CreatedWebhookModel extends WebhookModel {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'Shown once: store it to verify signatures' })
  secret!: string;
}

export class WebhookListDto {
  @ApiProperty({ type: [WebhookModel] }) items!: WebhookModel[];
}

export class RotatedSecretModel {
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'The new secret, shown once' }) secret!: string;
  @ApiProperty({ type: String, format: 'date-time', description: 'Until then deliveries carry signatures by both secrets' })
  previousSecretExpiresAt!: Date;
}

export class TestDeliveryModel {
  @ApiProperty() ok!: boolean;
  @ApiProperty({ enum: DELIVERY_OUTCOMES }) outcome!: string;
  @ApiProperty({ type: Number, nullable: true }) statusCode!: number | null;
  @ApiProperty() latencyMs!: number;
  @ApiProperty({ type: String, nullable: true, description: "What went wrong; the receiver's response body is never echoed" }) error!:
    string | null;
}

export class DeliveryAttemptModel {
  @ApiProperty() attempt!: number;
  @ApiProperty({ type: String, format: 'date-time' }) at!: Date;
  @ApiProperty({ enum: DELIVERY_OUTCOMES }) outcome!: string;
  @ApiProperty({ type: Number, nullable: true }) statusCode!: number | null;
  @ApiProperty({ type: Number, nullable: true }) latencyMs!: number | null;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
}

export class DeliveryModel {
  @ApiProperty() id!: string;
  @ApiProperty({ example: 'msg_2f1c…', description: 'The webhook-id header: the same on every attempt' }) webhookId!: string;
  @ApiProperty({ description: 'The incident event (data.sequence in the body)' }) sequence!: number;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES }) eventType!: string;
  @ApiProperty() incidentId!: string;
  @ApiProperty({ enum: ['pending', 'succeeded', 'failed'] }) status!: string;
  @ApiProperty() attemptCount!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) nextAttemptAt!: Date | null;
  @ApiProperty({ type: Number, nullable: true }) lastStatusCode!: number | null;
  @ApiProperty({ type: Number, nullable: true }) lastLatencyMs!: number | null;
  @ApiProperty({ type: String, nullable: true }) lastError!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: Date;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) completedAt!: Date | null;
  @ApiProperty({ type: [DeliveryAttemptModel] }) attempts!: DeliveryAttemptModel[];
}

export class DeliveryPageDto {
  @ApiProperty({ type: [DeliveryModel] }) items!: DeliveryModel[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class QueuedModel {
  @ApiProperty({ description: 'Deliveries queued' }) queued!: number;
  @ApiPropertyOptional({ description: 'True when more events matched than one replay sends; replay again from the last one' })
  truncated?: boolean;
}
