import DataLoader from 'dataloader';
import type { IncidentEventEntity } from '#src/modules/incidents/incident-event.entity.js';
import type { EvidenceRow } from '#src/modules/incidents/incidents.repository.js';
import type { IncidentsService } from '#src/modules/incidents/incidents.service.js';

/**
 * Per-request batching for GraphQL: a page of 100 incidents asking for their evidence makes one
 * query, not one hundred. Made fresh for each request, so nothing is cached across requests.
 */
export class IncidentLoaders {
  readonly evidence: DataLoader<string, EvidenceRow[]>;
  readonly timeline: DataLoader<string, IncidentEventEntity[]>;

  /** `cache: false` for a subscription, whose context lives as long as the connection. */
  constructor(incidents: IncidentsService, options: { cache: boolean } = { cache: true }) {
    this.evidence = new DataLoader(async (ids) => {
      const rows = await incidents.evidence([...ids]);
      return ids.map((id) => rows.filter((r) => r.incidentId === id));
    }, options);
    this.timeline = new DataLoader(async (ids) => {
      const rows = await incidents.eventsOf([...ids]);
      return ids.map((id) => rows.filter((r) => r.incidentId === id));
    }, options);
  }
}
