import type { Readable } from 'node:stream';
import { Body, Controller, Get, Headers, Param, Patch, Query, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiProperty,
  ApiPropertyOptional,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { RequireScope } from '#src/platform/auth/auth.decorators.js';
import type { AuthedRequest } from '#src/platform/auth/api-key.guard.js';
import { parseQuery } from '#src/platform/http/query.js';
import { INCIDENT_SEVERITIES, INCIDENT_STATUSES } from '#src/modules/incidents/incident.entity.js';
import { toEvidenceModel, toIncidentModel, toTimelineModel } from '#src/modules/incidents/incident.mapper.js';
import { IncidentModel, IncidentPageDto } from '#src/modules/incidents/incident.model.js';
import { IncidentsService } from '#src/modules/incidents/incidents.service.js';
import { incidentsCsv, prefersCsv } from '#src/modules/incidents/report/incidents.csv.js';
import { ReportService } from '#src/modules/incidents/report/report.service.js';
import { PROVIDERS } from '#src/connectors/signal.js';

const csvList = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim().toUpperCase()))
    .pipe(z.array(z.enum(values, { error: `must be one or more of ${values.join(', ')}` })));

const date = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).transform((s) => new Date(s));

export const listQuery = z.object({
  status: csvList(INCIDENT_STATUSES).optional(),
  severity: csvList(INCIDENT_SEVERITIES).optional(),
  provider: z.enum(PROVIDERS, { error: 'must be aws, azure or gcp' }).optional(),
  account: z.string().min(1).optional(),
  region: z.string().min(1).optional(),
  since: date.optional(),
  until: date.optional(),
  q: z.string().min(1).max(200).optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int().min(1, 'must be 1 to 100').max(100, 'must be 1 to 100').default(50),
  cursor: z.string().min(1).optional(),
});

const reportQuery = z.object({
  format: z.enum(['text', 'markdown', 'json', 'ocsf'], { error: 'must be text, markdown, json or ocsf' }).default('text'),
});

class TransitionDto {
  @ApiProperty({ enum: INCIDENT_STATUSES }) status!: string;
  @ApiPropertyOptional({ maxLength: 4000 }) note?: string;
}

const transitionBody = z.object({
  status: z.enum(INCIDENT_STATUSES, { error: `must be one of ${INCIDENT_STATUSES.join(', ')}` }),
  note: z.string().max(4000, 'must be at most 4000 characters').optional(),
});

@ApiTags('incidents')
@ApiBearerAuth()
@Controller('v1/incidents')
export class IncidentsController {
  constructor(
    private readonly incidents: IncidentsService,
    private readonly reports: ReportService,
  ) {}

  @Get()
  @RequireScope('incidents:read')
  @ApiOperation({ summary: 'List incidents, newest activity first, with cursor paging' })
  @ApiQuery({ name: 'status', required: false, description: 'Comma-separated: OPEN,ACKNOWLEDGED,…' })
  @ApiQuery({ name: 'severity', required: false, description: 'Comma-separated: LOW,MEDIUM,HIGH,CRITICAL' })
  @ApiQuery({ name: 'provider', required: false, enum: PROVIDERS })
  @ApiQuery({ name: 'account', required: false })
  @ApiQuery({ name: 'region', required: false })
  @ApiQuery({ name: 'since', required: false, description: 'ISO date-time: incidents active at or after' })
  @ApiQuery({ name: 'until', required: false, description: 'ISO date-time: incidents that began before' })
  @ApiQuery({ name: 'q', required: false, description: 'Words in the title' })
  @ApiQuery({ name: 'limit', required: false, description: '1–100, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiOkResponse({ type: IncidentPageDto, description: 'JSON page; with `Accept: text/csv`, every matching incident as CSV (no paging).' })
  @ApiProduces('application/json', 'text/csv')
  async list(
    @Query() query: unknown,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<IncidentPageDto | Readable> {
    const q = parseQuery(listQuery, query);
    const filter = {
      status: q.status,
      severity: q.severity,
      provider: q.provider,
      account: q.account,
      region: q.region,
      since: q.since,
      until: q.until,
      text: q.q,
    };
    if (prefersCsv(accept)) {
      void reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="minewatch-incidents.csv"');
      return incidentsCsv(this.incidents, filter);
    }
    const page = await this.incidents.list(filter, q.limit, q.cursor);
    return { items: page.items.map(toIncidentModel), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @RequireScope('incidents:read')
  @ApiOperation({ summary: 'One incident with its evidence and timeline' })
  @ApiOkResponse({ type: IncidentModel })
  async get(@Param('id') id: string): Promise<IncidentModel> {
    const incident = await this.incidents.get(id);
    const [evidence, events] = await Promise.all([this.incidents.evidence([incident.id]), this.incidents.events(incident.id)]);
    return { ...toIncidentModel(incident), evidence: evidence.map(toEvidenceModel), timeline: events.map(toTimelineModel) };
  }

  @Get(':id/report')
  @RequireScope('incidents:read')
  @ApiOperation({ summary: 'The incident report as text, Markdown, JSON or an OCSF Detection Finding (2004)' })
  @ApiQuery({ name: 'format', required: false, enum: ['text', 'markdown', 'json', 'ocsf'] })
  @ApiProduces('text/plain', 'text/markdown', 'application/json')
  async report(@Param('id') id: string, @Query() query: unknown, @Res() reply: FastifyReply): Promise<void> {
    const { format } = parseQuery(reportQuery, query);
    const rendered = await this.reports.render(id, format);
    void reply.header('content-type', rendered.contentType).send(rendered.body);
  }

  @Patch(':id')
  @RequireScope('incidents:write')
  @ApiOperation({ summary: 'Change the status, with an optional note; recorded in the timeline with the key that did it' })
  @ApiOkResponse({ type: IncidentModel })
  async transition(@Param('id') id: string, @Body() body: TransitionDto, @Req() request: AuthedRequest): Promise<IncidentModel> {
    const parsed = parseQuery(transitionBody, body);
    const updated = await this.incidents.transition(id, parsed.status, parsed.note, `api-key:${request.apiKey?.name ?? 'unknown'}`);
    return toIncidentModel(updated);
  }
}
