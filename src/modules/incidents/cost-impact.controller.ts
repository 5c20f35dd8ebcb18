import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiQuery, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { PROVIDERS } from '#src/connectors/signal.js';
import { RequireScope } from '#src/platform/auth/auth.decorators.js';
import { parseQuery } from '#src/platform/http/query.js';
import { IncidentsService } from '#src/modules/incidents/incidents.service.js';

class CostImpactRowDto {
  @ApiProperty({ example: '2026-11' }) month!: string;
  @ApiProperty({ enum: PROVIDERS }) provider!: string;
  @ApiProperty() accountId!: string;
  @ApiProperty({ example: 'USD' }) currency!: string;
  @ApiProperty() amount!: number;
  @ApiProperty({ description: 'Incidents the amount belongs to' }) incidents!: number;
}

class CostImpactDto {
  @ApiProperty({ type: [CostImpactRowDto] }) items!: CostImpactRowDto[];
}

const date = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).transform((s) => new Date(s));
const costQuery = z.object({
  provider: z.enum(PROVIDERS, { error: 'must be aws, azure or gcp' }).optional(),
  account: z.string().min(1).optional(),
  since: date.optional(),
  until: date.optional(),
});

@ApiTags('incidents')
@ApiBearerAuth()
@Controller('v1/cost-impact')
export class CostImpactController {
  constructor(private readonly incidents: IncidentsService) {}

  @Get()
  @RequireScope('incidents:read')
  @ApiOperation({ summary: 'Cost impact of mining incidents per month, provider and account (false positives excluded)' })
  @ApiQuery({ name: 'provider', required: false, enum: PROVIDERS })
  @ApiQuery({ name: 'account', required: false })
  @ApiQuery({ name: 'since', required: false })
  @ApiQuery({ name: 'until', required: false })
  @ApiOkResponse({ type: CostImpactDto })
  async costImpact(@Query() query: unknown): Promise<CostImpactDto> {
    return { items: await this.incidents.costImpact(parseQuery(costQuery, query)) };
  }
}
