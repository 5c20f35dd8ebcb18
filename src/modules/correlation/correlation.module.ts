import { Module } from '@nestjs/common';
import { CorrelationService } from '#src/modules/correlation/correlation.service.js';
import { IncidentsModule } from '#src/modules/incidents/incidents.module.js';
import { SuppressionsModule } from '#src/modules/suppressions/suppressions.module.js';
import { SignalsModule } from '#src/modules/signals/signals.module.js';

@Module({
  imports: [IncidentsModule, SignalsModule, SuppressionsModule],
  providers: [CorrelationService],
  exports: [CorrelationService],
})
export class CorrelationModule {}
