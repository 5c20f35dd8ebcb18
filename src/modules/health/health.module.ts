import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from '#src/modules/health/health.controller.js';
import { StatusController } from '#src/modules/health/status.controller.js';
import { IncidentsModule } from '#src/modules/incidents/incidents.module.js';
import { SignalsModule } from '#src/modules/signals/signals.module.js';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), IncidentsModule, SignalsModule],
  controllers: [HealthController, StatusController],
})
export class HealthModule {}
