import type { IncidentSeverity } from '#src/modules/incidents/incident.entity.js';
import { INCIDENT_SEVERITIES } from '#src/modules/incidents/incident.entity.js';

/** What a subscriber can ask for (the contract's list). */
export const WEBHOOK_EVENT_TYPES = ['incident.opened', 'incident.updated', 'incident.escalated', 'incident.status_changed'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Sent by POST /v1/webhooks/{id}/test only; nobody subscribes to it. */
export const TEST_EVENT_TYPE = 'webhook.test';

/**
 * The webhook type of an incident timeline entry, or null for entries subscribers never see.
 * A merge grows the surviving incident, so its subscribers hear `incident.updated`; the absorbed
 * incident's `incident.merged_into` is not sent (its evidence now lives in the survivor).
 */
export function webhookTypeOf(timelineType: string): WebhookEventType | null {
  switch (timelineType) {
    case 'incident.opened':
    case 'incident.updated':
    case 'incident.escalated':
    case 'incident.status_changed':
      return timelineType;
    case 'incident.merged':
      return 'incident.updated';
    default:
      return null;
  }
}

export interface EndpointFilter {
  eventTypes: readonly string[];
  minSeverity: IncidentSeverity | null;
  /** Empty: every provider. */
  providers: readonly string[];
}

export interface MessageFacts {
  type: WebhookEventType;
  severity: IncidentSeverity;
  providers: readonly string[];
}

export function severityAtLeast(severity: IncidentSeverity, min: IncidentSeverity | null): boolean {
  return min === null || INCIDENT_SEVERITIES.indexOf(severity) >= INCIDENT_SEVERITIES.indexOf(min);
}

/** Whether an endpoint wants a message: its type, the incident's severity and clouds. */
export function endpointWants(endpoint: EndpointFilter, message: MessageFacts): boolean {
  return (
    endpoint.eventTypes.includes(message.type) &&
    severityAtLeast(message.severity, endpoint.minSeverity) &&
    (endpoint.providers.length === 0 || endpoint.providers.some((p) => message.providers.includes(p)))
  );
}
