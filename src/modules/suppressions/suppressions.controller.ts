import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthedRequest } from '#src/platform/auth/api-key.guard.js';
import { RequireScope } from '#src/platform/auth/auth.decorators.js';
import { CommonErrorCode, CommonException } from '#src/platform/errors/app.exception.js';
import { parseQuery } from '#src/platform/http/query.js';
import { toSignalModel } from '#src/modules/incidents/incident.mapper.js';
import { SignalModel } from '#src/modules/incidents/incident.model.js';
import { CreateSuppressionRuleDto, SuppressionRuleModel } from '#src/modules/suppressions/suppression.model.js';
import { createSuppressionSchema } from '#src/modules/suppressions/suppression.schema.js';
import { SuppressionsService } from '#src/modules/suppressions/suppressions.service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class SuppressionRuleDetailDto extends SuppressionRuleModel {
  @ApiProperty({ type: [SignalModel], description: 'The newest 100 signals it suppressed' }) suppressedSignals!: SignalModel[];
}

@ApiTags('suppressions')
@ApiBearerAuth()
@Controller('v1/suppressions')
export class SuppressionsController {
  constructor(private readonly suppressions: SuppressionsService) {}

  @Post()
  @RequireScope('incidents:write')
  @ApiOperation({ summary: 'Add a rule for legitimate GPU or mining work; matching new signals join no incident' })
  @ApiCreatedResponse({ type: SuppressionRuleModel })
  async create(@Body() body: CreateSuppressionRuleDto, @Req() request: AuthedRequest): Promise<SuppressionRuleModel> {
    const input = parseQuery(createSuppressionSchema, body);
    return this.suppressions.create({ ...input, expiresAt: input.expiresAt ?? null }, `api-key:${request.apiKey?.name ?? 'unknown'}`);
  }

  @Get()
  @RequireScope('incidents:read')
  @ApiOperation({ summary: 'Rules, with how many signals each suppressed' })
  @ApiOkResponse({ type: [SuppressionRuleModel] })
  list(): Promise<SuppressionRuleModel[]> {
    return this.suppressions.list();
  }

  @Get(':id')
  @RequireScope('incidents:read')
  @ApiOperation({ summary: 'One rule and the signals it suppressed' })
  @ApiOkResponse({ type: SuppressionRuleDetailDto })
  async get(@Param('id') id: string): Promise<SuppressionRuleDetailDto> {
    const rule = UUID.test(id) ? await this.suppressions.get(id) : null;
    if (!rule) throw new CommonException(CommonErrorCode.NotFound, `No suppression rule ${id}.`);
    return { ...rule, suppressedSignals: (await this.suppressions.suppressedSignals(id, 100)).map(toSignalModel) };
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('incidents:write')
  @ApiOperation({ summary: 'Disable a rule (kept, with the record of what it suppressed)' })
  @ApiNoContentResponse()
  async disable(@Param('id') id: string): Promise<void> {
    if (!UUID.test(id) || !(await this.suppressions.disable(id)))
      throw new CommonException(CommonErrorCode.NotFound, `No active suppression rule ${id}.`);
  }
}
