import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { RequireScope } from '#src/platform/auth/auth.decorators.js';
import {
  ConnectorListDto,
  ConnectorModel,
  ConnectorRunListDto,
  ConnectorRunModel,
  CreateConnectorDto,
  UpdateConnectorDto,
} from '#src/modules/connectors-admin/connector.model.js';
import { ConnectorsService } from '#src/modules/connectors-admin/connectors.service.js';

@ApiTags('connectors')
@ApiBearerAuth()
@RequireScope('admin')
@Controller('v1/connectors')
export class ConnectorsController {
  constructor(private readonly connectors: ConnectorsService) {}

  @Post()
  @ApiOperation({ summary: 'Configure a pull connector; its first run starts at once and backfills `backfillDays`' })
  @ApiBody({ type: CreateConnectorDto })
  @ApiCreatedResponse({ type: ConnectorModel })
  create(@Body() body: unknown): Promise<ConnectorModel> {
    return this.connectors.create(body);
  }

  @Get()
  @ApiOperation({ summary: 'Every connector with its status (last run, last success, items fetched, last error)' })
  @ApiOkResponse({ type: ConnectorListDto })
  async list(): Promise<ConnectorListDto> {
    return { items: await this.connectors.list() };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One connector with its status' })
  @ApiOkResponse({ type: ConnectorModel })
  get(@Param('id') id: string): Promise<ConnectorModel> {
    return this.connectors.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a connector; credentials given here replace the stored ones' })
  @ApiBody({ type: UpdateConnectorDto })
  @ApiOkResponse({ type: ConnectorModel })
  update(@Param('id') id: string, @Body() body: unknown): Promise<ConnectorModel> {
    return this.connectors.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a connector with its runs and checkpoints; what it fetched stays' })
  @ApiNoContentResponse()
  remove(@Param('id') id: string): Promise<void> {
    return this.connectors.remove(id);
  }

  @Post(':id/run')
  @HttpCode(202)
  @ApiOperation({ summary: 'Run now, from where the last run stopped' })
  @ApiAcceptedResponse({ type: ConnectorRunModel })
  run(@Param('id') id: string): Promise<ConnectorRunModel> {
    return this.connectors.runNow(id);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop scheduled runs' })
  @ApiOkResponse({ type: ConnectorModel })
  pause(@Param('id') id: string): Promise<ConnectorModel> {
    return this.connectors.pause(id);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume scheduled runs; a tick missed while paused runs at once' })
  @ApiOkResponse({ type: ConnectorModel })
  resume(@Param('id') id: string): Promise<ConnectorModel> {
    return this.connectors.resume(id);
  }

  @Get(':id/runs')
  @ApiOperation({ summary: 'Recent runs, newest first, with what each stream fetched and any error' })
  @ApiQuery({ name: 'limit', required: false, description: '1–100, default 20' })
  @ApiOkResponse({ type: ConnectorRunListDto })
  async runs(@Param('id') id: string, @Query() query: unknown): Promise<ConnectorRunListDto> {
    return { items: await this.connectors.runs(id, query) };
  }

  @Get(':id/runs/:runId')
  @ApiOperation({ summary: 'One run' })
  @ApiOkResponse({ type: ConnectorRunModel })
  getRun(@Param('id') id: string, @Param('runId') runId: string): Promise<ConnectorRunModel> {
    return this.connectors.run(id, runId);
  }
}
