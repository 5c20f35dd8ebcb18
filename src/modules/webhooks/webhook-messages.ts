import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { toIncidentModel } from '#src/modules/incidents/incident.mapper.js';
import { IncidentsService } from '#src/modules/incidents/incidents.service.js';
import type { IncidentSeverity } from '#src/modules/incidents/incident.entity.js';
import { webhookTypeOf, type WebhookEventType } from '#src/modules/webhooks/event-types.js';
import type { NewMessage, OutboxEvent } from '#src/modules/webhooks/webhooks.repository.js';

export interface BuiltMessage extends NewMessage {
  eventType: WebhookEventType;
  severity: IncidentSeverity;
}

/**
 * The body subscribers receive for an incident event:
 * `{ type, timestamp, data: { incident, sequence } }`, where `incident` is the JSON of
 * GET /v1/incidents/{id} without its evidence and timeline (those grow without bound) and
 * `sequence` is the timeline row's id, increasing per incident, so receivers can order events.
 */
@Injectable()
export class WebhookMessages {
  constructor(private readonly incidents: IncidentsService) {}

  /** Null for timeline entries nobody can subscribe to, or an incident that no longer exists. */
  async build(tx: EntityManager, event: OutboxEvent): Promise<BuiltMessage | null> {
    const type = webhookTypeOf(event.type);
    if (!type) return null;
    // The incident as stored, not followed to the incident it may later have been merged into:
    // the event is about this one. (findForUpdate is a plain read inside the transaction.)
    const incident = await this.incidents.findForUpdate(tx, event.incidentId);
    if (!incident) return null;
    const mergedIncidentId = event.type === 'incident.merged' ? event.data['mergedIncidentId'] : undefined;
    const body = {
      type,
      timestamp: event.at.toISOString(),
      data: {
        incident: toIncidentModel(incident),
        sequence: Number(event.id),
        ...(typeof mergedIncidentId === 'string' ? { mergedIncidentId } : {}),
      },
    };
    return {
      eventId: event.id,
      eventType: type,
      incidentId: incident.id,
      severity: incident.severity,
      providers: incident.providers,
      payload: JSON.stringify(body),
    };
  }
}
