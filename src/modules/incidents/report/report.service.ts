import { Injectable } from '@nestjs/common';
import { IncidentsService } from '#src/modules/incidents/incidents.service.js';
import { toEvidenceModel, toIncidentModel, toTimelineModel } from '#src/modules/incidents/incident.mapper.js';
import { renderMarkdown } from '#src/modules/incidents/report/markdown.report.js';
import { renderOcsf } from '#src/modules/incidents/report/ocsf.report.js';
import { renderText } from '#src/modules/incidents/report/text.report.js';
import { PRODUCT_VERSION } from '#src/platform/version.js';

export type ReportFormat = 'text' | 'markdown' | 'json' | 'ocsf';

@Injectable()
export class ReportService {
  constructor(private readonly incidents: IncidentsService) {}

  async render(id: string, format: ReportFormat): Promise<{ contentType: string; body: string }> {
    const incident = await this.incidents.get(id);
    const evidence = await this.incidents.evidence([incident.id]);
    const input = { incident, evidence };
    switch (format) {
      case 'text':
        return { contentType: 'text/plain; charset=utf-8', body: renderText(input) };
      case 'markdown':
        return { contentType: 'text/markdown; charset=utf-8', body: renderMarkdown(input) };
      case 'json': {
        const events = await this.incidents.events(incident.id);
        const body = {
          ...toIncidentModel(incident),
          evidence: evidence.map(toEvidenceModel),
          timeline: events.map(toTimelineModel),
          summary: incident.summary,
        };
        return { contentType: 'application/json; charset=utf-8', body: JSON.stringify(body, null, 2) };
      }
      case 'ocsf':
        return { contentType: 'application/json; charset=utf-8', body: JSON.stringify(renderOcsf(input, PRODUCT_VERSION), null, 2) };
    }
  }
}
