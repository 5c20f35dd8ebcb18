import { Module } from '@nestjs/common';
import { CostImpactController } from '#src/modules/incidents/cost-impact.controller.js';
import { IncidentEventsPublisher } from '#src/modules/incidents/incident-events.publisher.js';
import { IncidentsController } from '#src/modules/incidents/incidents.controller.js';
import { IncidentsRepository } from '#src/modules/incidents/incidents.repository.js';
import { IncidentConnectionResolver, IncidentsResolver } from '#src/modules/incidents/incidents.resolver.js';
import { IncidentsService } from '#src/modules/incidents/incidents.service.js';
import { ReportService } from '#src/modules/incidents/report/report.service.js';

@Module({
  controllers: [IncidentsController, CostImpactController],
  providers: [IncidentsRepository, IncidentsService, IncidentsResolver, IncidentConnectionResolver, ReportService, IncidentEventsPublisher],
  exports: [IncidentsService],
})
export class IncidentsModule {}
