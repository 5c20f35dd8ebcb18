import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '#src/platform/auth/auth.decorators.js';
import { IncidentsService } from '#src/modules/incidents/incidents.service.js';
import { SignalsRepository } from '#src/modules/signals/signals.repository.js';

@ApiTags('operations')
@ApiBearerAuth()
@Controller('v1/status')
export class StatusController {
  constructor(
    private readonly signals: SignalsRepository,
    private readonly incidents: IncidentsService,
  ) {}

  @Get()
  @RequireScope('incidents:read')
  @ApiOperation({ summary: 'Counts, and how many signals still wait for correlation (0 means incidents are up to date)' })
  async status() {
    const [signals, incidents] = await Promise.all([this.signals.counts(), this.incidents.count({})]);
    return { signals, incidents: { total: incidents } };
  }
}
