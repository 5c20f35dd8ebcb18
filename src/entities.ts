import { ApiKeyEntity } from '#src/platform/auth/api-key.entity.js';
import { ConnectorCheckpointEntity, ConnectorEntity, ConnectorRunEntity } from '#src/modules/connectors-admin/connector.entity.js';
import { IncidentEventEntity } from '#src/modules/incidents/incident-event.entity.js';
import { IncidentEvidenceEntity } from '#src/modules/incidents/incident-evidence.entity.js';
import { IncidentEntity } from '#src/modules/incidents/incident.entity.js';
import { SignalEntity } from '#src/modules/signals/signal.entity.js';
import { SuppressionRuleEntity } from '#src/modules/suppressions/suppression-rule.entity.js';
import {
  WebhookDeliveryAttemptEntity,
  WebhookDeliveryEntity,
  WebhookMessageEntity,
} from '#src/modules/webhooks/webhook-delivery.entity.js';
import { WebhookEndpointEntity, WebhookEndpointEventEntity } from '#src/modules/webhooks/webhook-endpoint.entity.js';

/** Every TypeORM entity of the service. */
export const entities = [
  SignalEntity,
  IncidentEntity,
  IncidentEvidenceEntity,
  IncidentEventEntity,
  ApiKeyEntity,
  SuppressionRuleEntity,
  WebhookEndpointEntity,
  WebhookEndpointEventEntity,
  WebhookMessageEntity,
  WebhookDeliveryEntity,
  WebhookDeliveryAttemptEntity,
  ConnectorEntity,
  ConnectorRunEntity,
  ConnectorCheckpointEntity,
];
